import NIOCore

/// A value that lives on one event loop and is only read or written there, held by an object
/// that other threads share (a ``Cluster`` holds one per loop). Like NIO's `NIOLoopBoundBox`, but
/// the loop check is an assertion (debug builds), since this sits on every call's path.
final class LoopConfined<Value>: @unchecked Sendable {
    /// The loop the value belongs to.
    let eventLoop: any EventLoop
    private var storage: Value

    /// Creates the box from any thread; the value is then touched only on `eventLoop`.
    init(_ value: Value, eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.storage = value
    }

    /// The value; only on ``eventLoop``.
    var value: Value {
        get {
            eventLoop.assertInEventLoop()
            return storage
        }
        set {
            eventLoop.assertInEventLoop()
            storage = newValue
        }
    }
}
