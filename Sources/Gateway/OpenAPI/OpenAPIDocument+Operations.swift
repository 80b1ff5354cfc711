import ProtoSchema
import Routing
import Transcoding

/// One OpenAPI operation per route: its path (the template with each variable as one
/// parameter), path and query parameters for every field a request can bind, the request body
/// its `body` selector reads, the response its `response_body` and streaming write, and the
/// `google.rpc.Status` error every failure answers with.
extension OpenAPIDocument {
    /// The OpenAPI path of a template: `/v1/{name=shelves/*}/books` → `/v1/{name}/books`
    /// (``pathParameterName(_:)``);
    /// segments outside variables keep their text, `*` and `**` outside variables become
    /// `{_segmentN}` parameters (matched, bound to no field).
    static func path(of template: PathTemplate) -> (path: String, anonymous: [String]) {
        var parts: [String] = []
        var anonymous: [String] = []
        var index = 0
        var variables = template.variables.makeIterator()
        var next = variables.next()
        while index < template.segments.count {
            if let variable = next, variable.range.lowerBound == index {
                parts.append("{\(pathParameterName(variable))}")
                index = variable.range.upperBound
                next = variables.next()
                continue
            }
            switch template.segments[index] {
            case .literal(let text): parts.append(text)
            case .wildcard, .deepWildcard:
                let name = "_segment\(anonymous.count + 1)"
                anonymous.append(name)
                parts.append("{\(name)}")
            }
            index += 1
        }
        return ("/" + parts.joined(separator: "/") + (template.verb.map { ":\($0)" } ?? ""), anonymous)
    }

    /// The name of a path variable's parameter: its field path with `_` for `.` (`{nested.label}`
    /// is `{nested_label}`), since clients that fill templates as format strings (Python's
    /// `str.format`, so schemathesis) read a dot as attribute access. The name never travels:
    /// the value takes its place in the path.
    static func pathParameterName(_ variable: PathTemplate.Variable) -> String {
        variable.fieldPath.joined(separator: "_")
    }

    /// The operation of `plan`, named `operationId`.
    static func operation(_ plan: RoutePlan, operationId: String, schemas: inout OpenAPISchemas) -> AdminJSON {
        let route = plan.route
        let method = route.method
        var fields: [(String, AdminJSON)] = [
            ("operationId", .string(operationId)),
            ("summary", .string("\(method.serviceFullName)/\(method.name)")),
            ("tags", .strings([method.serviceFullName])),
        ]
        let documentation = schemas.pool.documentation
        if let comment = documentation.comment(method.fullName) { fields.append(("description", .string(comment))) }
        if documentation.deprecated.contains(method.fullName) { fields.append(("deprecated", .bool(true))) }
        let parameters = parameters(of: route, schemas: &schemas)
        if !parameters.isEmpty { fields.append(("parameters", .array(parameters))) }
        if let body = requestBody(of: plan, schemas: &schemas) { fields.append(("requestBody", body)) }
        fields.append(("responses", responses(of: plan, schemas: &schemas)))
        if let requirement = plan.admission?.requirement { fields.append(("security", security(requirement))) }
        return .object(fields)
    }

    /// The operation's security requirements: one object per provider that suffices (`requires`),
    /// or one object naming all (`allOf`); a provider with an `idHeader` needs its id scheme too.
    static func security(_ requirement: RouteAdmission.Requirement) -> AdminJSON {
        func schemes(_ credential: RouteAdmission.Credential) -> [(String, AdminJSON)] {
            var names = [(credential.name, AdminJSON.array([]))]
            if case .apiKey(let verifier) = credential, verifier.settings.idHeader != nil {
                names.append((idSchemeName(verifier.name), .array([])))
            }
            return names
        }
        if requirement.requiresAll { return .array([.object(requirement.credentials.flatMap(schemes))]) }
        return .array(requirement.credentials.map { .object(schemes($0)) })
    }

    /// The scheme of an `apiKey` provider's `idHeader`.
    static func idSchemeName(_ provider: String) -> String { "\(provider).id" }

    /// `components.securitySchemes`: each `apiKey` provider as an `apiKey` scheme (and its
    /// `idHeader` as a second one, required with it); each `jwt` provider as where its first
    /// source reads the token: `http` `bearer` for `Authorization: Bearer`, else an `apiKey`
    /// scheme in its header, query or cookie.
    static func securitySchemes(_ auth: GatewayConfig.AuthSettings) -> [(String, AdminJSON)] {
        var result: [(String, AdminJSON)] = []
        for (name, provider) in auth.providers.sorted(by: { $0.key < $1.key }) {
            switch provider {
            case .apiKey(let settings):
                let (place, key): (String, String) =
                    switch settings.source {
                    case .header(let header): ("header", header)
                    case .query(let parameter): ("query", parameter)
                    }
                result.append(
                    (
                        name,
                        .object([
                            ("type", "apiKey"), ("in", .string(place)), ("name", .string(key)),
                            ("description", .string("API key (provider \(name)); 401 without a valid one.")),
                        ])
                    )
                )
                if let idHeader = settings.idHeader {
                    result.append(
                        (
                            idSchemeName(name),
                            .object([
                                ("type", "apiKey"), ("in", "header"), ("name", .string(idHeader)),
                                ("description", .string("The id of the \(name) API key, sent with it.")),
                            ])
                        )
                    )
                }
            case .jwt(let settings):
                let description = AdminJSON.string(
                    "JWT issued by \(settings.issuer) (provider \(name)); 401 without a valid one, 403 when its "
                        + "audience or claims do not grant the method."
                )
                switch settings.sources.first {
                case .header(let header, let prefix)
                where header == "authorization" && prefix.lowercased() == "bearer ":
                    result.append(
                        (
                            name,
                            .object([
                                ("type", "http"), ("scheme", "bearer"), ("bearerFormat", "JWT"),
                                ("description", description),
                            ])
                        )
                    )
                case .header(let header, _):
                    result.append((name, tokenScheme(in: "header", name: header, description: description)))
                case .query(let parameter):
                    result.append((name, tokenScheme(in: "query", name: parameter, description: description)))
                case .cookie(let cookie):
                    result.append((name, tokenScheme(in: "cookie", name: cookie, description: description)))
                case nil:
                    break
                }
            }
        }
        return result
    }

    private static func tokenScheme(in place: String, name: String, description: AdminJSON) -> AdminJSON {
        .object([("type", "apiKey"), ("in", .string(place)), ("name", .string(name)), ("description", description)])
    }

    /// Path parameters (every template variable, and every unnamed wildcard), then a query
    /// parameter for every scalar field the path and body leave unbound.
    static func parameters(of route: Route, schemas: inout OpenAPISchemas) -> [AdminJSON] {
        var result: [AdminJSON] = []
        for (variable, fieldPath) in zip(route.template.variables, route.variableFields) {
            guard let leaf = fieldPath.last else { continue }
            var schema = schemas.schema(of: leaf)
            if variable.isMultiSegment {
                schema = .object([
                    ("type", "string"),
                    ("pattern", .string(segmentPattern(route.template, variable))),
                    ("description", .string("The field \(variable.dottedFieldPath): several path segments.")),
                ])
            }
            result.append(parameter(pathParameterName(variable), in: "path", required: true, schema: schema))
        }
        for name in path(of: route.template).anonymous {
            result.append(parameter(name, in: "path", required: true, schema: .object([("type", "string")])))
        }
        let wholeBody: Bool
        let bodyField: FieldDescriptor?
        switch route.body {
        case .wholeMessage: (wholeBody, bodyField) = (true, nil)
        case .field(let field): (wholeBody, bodyField) = (false, field)
        case .none: (wholeBody, bodyField) = (false, nil)
        }
        guard !wholeBody else { return result }
        let bound = Set(route.variableFields.map { $0.map(\.name).joined(separator: ".") })
        for (name, field) in queryFields(of: route.method.input, pool: schemas.pool, depth: 0) {
            if bound.contains(name) || bound.contains(where: { name.hasPrefix($0 + ".") }) { continue }
            if let bodyField, name == bodyField.name || name.hasPrefix(bodyField.name + ".") { continue }
            let parameterName =
                schemas.options.useProtoNames ? name : jsonPath(name, from: route.method.input, pool: schemas.pool)
            var entry = parameter(parameterName, in: "query", required: false, schema: schemas.schema(of: field))
            if field.isRepeated, case .object(var pairs) = entry {
                pairs.append(("style", "form"))
                pairs.append(("explode", .bool(true)))
                entry = .object(pairs)
            }
            result.append(entry)
        }
        return result
    }

    /// The regular expression a multi-segment variable's value matches: its literal segments
    /// as they are, `*` one segment, `**` any rest (`shelves/*` → `^shelves/[^/]+$`).
    static func segmentPattern(_ template: PathTemplate, _ variable: PathTemplate.Variable) -> String {
        let parts = template.segments[variable.range].map { segment -> String in
            switch segment {
            case .literal(let text): text.map { "\\^$.|?*+()[]{}".contains($0) ? "\\\($0)" : String($0) }.joined()
            case .wildcard: "[^/]+"
            case .deepWildcard: ".*"
            }
        }
        return "^" + parts.joined(separator: "/") + "$"
    }

    /// Every field a query parameter can set, by dotted proto name: scalars, enums, repeated
    /// scalars and well-known types, through singular message fields (5 levels at most).
    static func queryFields(of id: MessageID, pool: DescriptorPool, depth: Int) -> [(String, FieldDescriptor)] {
        guard depth < 5 else { return [] }
        var result: [(String, FieldDescriptor)] = []
        for field in pool[id].fields where !field.isMap {
            if case .message(let nested) = field.type, pool[nested].wellKnownType == nil {
                guard !field.isRepeated else { continue }
                result += queryFields(of: nested, pool: pool, depth: depth + 1).map { ("\(field.name).\($0.0)", $0.1) }
            } else if case .group = field.type {
                continue
            } else {
                result.append((field.name, field))
            }
        }
        return result
    }

    /// A dotted proto-name path written with JSON names (`nested.label_text` → `nested.labelText`).
    static func jsonPath(_ path: String, from id: MessageID, pool: DescriptorPool) -> String {
        guard let fields = pool.resolveFieldPath(path, from: id) else { return path }
        return fields.map(\.jsonName).joined(separator: ".")
    }

    static func parameter(_ name: String, in location: String, required: Bool, schema: AdminJSON) -> AdminJSON {
        .object([
            ("name", .string(name)), ("in", .string(location)), ("required", .bool(required)), ("schema", schema),
        ])
    }
}
