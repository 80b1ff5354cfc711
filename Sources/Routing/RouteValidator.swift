import ProtoSchema

/// Turns a ``RouteDefinition`` into a ``Route``, reporting every problem it has.
struct RouteValidator {
    let pool: DescriptorPool

    /// The route, or nil after appending the definition's problems.
    /// - Parameter index: the route's position in the table's routes, if it is added.
    func validate(_ definition: RouteDefinition, index: Int, problems: inout [RouteConfigError]) -> Route? {
        let source = definition.source
        let before = problems.count
        func report(_ code: RouteConfigError.Code, _ message: String) {
            problems.append(RouteConfigError(code: code, message: message, source: source))
        }

        if definition.verb.isEmpty {
            report(.invalidBinding, "the HTTP method of the binding is empty")
        }
        let template: PathTemplate
        do {
            template = try PathTemplate(parsing: definition.pathTemplate)
        } catch {
            var problem = error
            problem.source = source
            problem.message = "invalid path template '\(definition.pathTemplate)': \(error.message)"
            problems.append(problem)
            return nil
        }

        let method = definition.method
        let resolver = FieldPathResolver(pool: pool)
        var variableFields: [[FieldDescriptor]] = []
        for variable in template.variables {
            let name = "{\(variable.dottedFieldPath)}"
            let fields: [FieldDescriptor]
            switch resolver.resolve(variable.dottedFieldPath, from: method.input) {
            case .success(let resolved): fields = resolved
            case .failure(let problem):
                let code: RouteConfigError.Code
                if case .unknownField = problem { code = .unknownField } else { code = .invalidBinding }
                report(
                    code,
                    "path variable \(name): " + FieldPathResolver.describe(problem, path: variable.dottedFieldPath)
                )
                continue
            }
            let leaf = fields[fields.count - 1]
            if leaf.isRepeated || leaf.isMap || leaf.type.isMessage {
                report(
                    .invalidBinding,
                    "path variable \(name) binds field '\(leaf.name)' of type \(resolver.kindDescription(of: leaf)); "
                        + "path variables must be singular scalar or enum fields"
                )
                continue
            }
            if variableFields.contains(where: { $0.map(\.number) == fields.map(\.number) }) {
                report(.invalidBinding, "path variable \(name) binds a field that an earlier variable already binds")
                continue
            }
            variableFields.append(fields)
        }

        let body: BodySelector
        switch definition.body {
        case "": body = .none
        case "*": body = .wholeMessage
        default:
            if let field = pool[method.input].field(named: definition.body) {
                body = .field(field)
            } else {
                body = .none
                report(
                    .unknownField,
                    "body '\(definition.body)' must be \"*\" or a top-level field of \(pool[method.input].fullName)"
                )
            }
        }

        var responseBody: FieldDescriptor?
        if !definition.responseBody.isEmpty {
            responseBody = pool[method.output].field(named: definition.responseBody)
            if responseBody == nil {
                report(
                    .unknownField,
                    "response_body '\(definition.responseBody)' must be a top-level field of "
                        + pool[method.output].fullName
                )
            }
        }

        guard problems.count == before else { return nil }
        return Route(
            method: method,
            verb: definition.verb,
            template: template,
            pathTemplate: definition.pathTemplate,
            body: body,
            responseBody: responseBody,
            source: source,
            rejectUnknownQueryParameters: definition.rejectUnknownQueryParameters,
            variableFields: variableFields,
            index: index
        )
    }
}

extension FieldType {
    /// Whether values are messages (or groups).
    var isMessage: Bool {
        switch self {
        case .message, .group: return true
        default: return false
        }
    }
}
