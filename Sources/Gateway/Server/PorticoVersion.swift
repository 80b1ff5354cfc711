/// The version of Portico, as `portico version` prints it and `portico_build_info{version}`
/// reports it.
public enum PorticoVersion {
    /// The version string.
    public static let current = "0.9.0"
}
