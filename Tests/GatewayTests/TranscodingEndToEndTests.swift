import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// JSON ⇄ protobuf through the gateway and the echo backend.
@Suite("Request and response transcoding end to end")
struct TranscodingEndToEndTests {
    static let everything = """
        {"fDouble":1.5,"fFloat":-2.25,"fInt64":"-9007199254740993","fUint64":"18446744073709551615",\
        "fInt32":-42,"fFixed64":"123456789012","fFixed32":4000000000,"fBool":true,"fString":"héllo \\"q\\" \\n",\
        "fBytes":"AAEC/w==","fUint32":4294967295,"fSfixed32":-5,"fSfixed64":"-6","fSint32":-7,"fSint64":"-8",\
        "color":"BLUE","nested":{"label":"n","value":3,"child":{"label":"deep"}},\
        "items":[{"label":"a","value":1},{"label":"b","value":2}],"counts":{"x":1,"y":2},\
        "byId":{"7":{"label":"seven"}},"choiceText":"picked","maybe":0,"numbers":[1,2,3],\
        "tags":["t1","t2"],"colors":["RED","GREEN"],"customName":"renamed","doubles":[0.5,"NaN","Infinity"],\
        "flags":{"true":"yes"}}
        """

    @Test func postEchoRoundTripsEveryFieldKind() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .POST,
                "/v1/echo",
                headers: [("Content-Type", "application/json")],
                body: Self.everything
            )
            #expect(response.status == 200, "\(response.text)")
            let sent = try JSONSerialization.jsonObject(with: Data(Self.everything.utf8)) as! NSDictionary
            let received = try JSONSerialization.jsonObject(with: Data(response.body)) as! NSDictionary
            #expect(received == sent, "\(response.text)")
        }
    }

    @Test func wellKnownTypesRoundTripThroughTheBackend() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let body = """
                {"at":"2024-02-29T12:00:00.250Z","ttl":"-1.500s","mask":"fInt32,nested.label","big":"9007199254740993",\
                "meta":{"a":[1,"two",null,{"b":false}]},"anything":null,\
                "payload":{"@type":"type.googleapis.com/demo.echo.v1.Everything.Nested","label":"packed","value":2}}
                """
            let response = try await client.send(.POST, "/v1/echo", body: body)
            #expect(response.status == 200, "\(response.text)")
            let sent = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! NSDictionary
            #expect(
                try JSONSerialization.jsonObject(with: Data(response.body)) as! NSDictionary == sent,
                "\(response.text)"
            )
            let badTime = try await client.send(.POST, "/v1/echo", body: #"{"at":"2024-02-30T00:00:00Z"}"#)
            #expect(badTime.status == 400)
            #expect((try badTime.jsonObject()["message"] as? String)?.contains("invalid Timestamp") == true)
        }
    }

    @Test func jsonOptionsCanBeSetPerMethod() async throws {
        let extra = """
            methods:
              demo.echo.v1.EchoService.Echo:
                json: { emitUnpopulated: true, useProtoNames: true, enumsAsInts: true, int64AsNumbers: true, rejectUnknownFields: false }
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let echoed = try await client.send(
                .POST,
                "/v1/echo",
                body: #"{"fInt32":3,"color":"RED","surprise":1,"fInt64":"9007199254740993"}"#
            )
            #expect(echoed.status == 200, "\(echoed.text)")
            #expect(echoed.text.contains(#""f_int64":9007199254740993,"#), "\(echoed.text)")
            #expect(echoed.text.contains(#""f_uint64":0,"#), "\(echoed.text)")
            let json = try echoed.jsonObject()
            #expect(json["f_int32"] as? Int == 3)
            #expect(json["color"] as? Int == 1)
            #expect(json["f_string"] as? String == "")
            #expect(json["fInt32"] == nil)
            // Other methods keep the global options: strict, lowerCamelCase, no defaults.
            let user = try await client.send(.GET, "/v1/users/1")
            #expect(user.text == #"{"id":1,"name":"Ada Lovelace"}"#)
            let strict = try await client.send(.POST, "/v1/fail", body: #"{"code":0,"surprise":1}"#)
            #expect(strict.status == 400)
            // The method's query strictness follows its rejectUnknownFields.
            let lenientQuery = try await client.send(.GET, "/v1/echo?fString=a&whatever=1")
            #expect(lenientQuery.status == 200, "\(lenientQuery.text)")
        }
    }

    @Test func unknownQueryParametersCanBeIgnoredWhileBodiesStayStrict() async throws {
        let extra = """
            json: { rejectUnknownQueryParameters: false }
            methods:
              demo.user.v1.UserService.GetUser:
                json: { rejectUnknownQueryParameters: true }
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let tracked = try await client.send(.GET, "/v1/echo?fString=a&utm_source=mail&_=1700000000")
            #expect(tracked.status == 200, "\(tracked.text)")
            #expect(try tracked.jsonObject()["fString"] as? String == "a")
            // Known parameters are still checked, and JSON bodies are still strict.
            let badValue = try await client.send(.GET, "/v1/echo?fInt32=x")
            #expect(badValue.status == 400)
            let strictBody = try await client.send(.POST, "/v1/echo", body: #"{"surprise":1}"#)
            #expect(strictBody.status == 400)
            // The per-method setting wins over the global one.
            let strictMethod = try await client.send(.GET, "/v1/users/1?utm_source=mail")
            #expect(strictMethod.status == 400)
            #expect((try strictMethod.jsonObject()["message"] as? String)?.contains("utm_source") == true)
        }
    }

    @Test func patchFillsTheUpdateMaskFromTheBodyKeys() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let body = #"{"label":"x","child":{"value":2,"label":"y"},"value":0}"#
            let patched = try await client.send(.PATCH, "/v1/echo/5", body: body)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(try patched.jsonObject()["updateMask"] as? String == "label,child.value,child.label,value")
            // A mask the client sends wins.
            let explicit = try await client.send(.PATCH, "/v1/echo/5?updateMask=label", body: body)
            #expect(try explicit.jsonObject()["updateMask"] as? String == "label")
            // An empty object replaces the message as a whole; no body, no mask.
            let whole = try await client.send(.PATCH, "/v1/echo/5", body: #"{"child":{}}"#)
            #expect(try whole.jsonObject()["updateMask"] as? String == "child")
            let empty = try await client.send(.PATCH, "/v1/echo/5", body: nil)
            #expect(try empty.jsonObject()["updateMask"] == nil)
            // Other verbs never get one.
            let post = try await client.send(.POST, "/v1/echo/hi:nested", body: #"{"label":"x"}"#)
            #expect(try post.jsonObject()["updateMask"] == nil)
        }
    }

    @Test func mapEntriesFromTheQueryString() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .GET,
                "/v1/echo?counts[a]=1&counts%5Bb%5D=2&flags[true]=yes&counts[a]=3"
            )
            #expect(response.status == 200, "\(response.text)")
            let json = try response.jsonObject()
            #expect(json["counts"] as? [String: Int] == ["a": 3, "b": 2])
            #expect(json["flags"] as? [String: String] == ["true": "yes"])
            for bad in ["counts[a]=x", "counts=1", "tags[0]=x", "byId[7]=x", "flags[maybe]=x"] {
                let refused = try await client.send(.GET, "/v1/echo?" + bad)
                #expect(refused.status == 400, "\(bad): \(refused.text)")
            }
        }
    }

    @Test func wellKnownTypesFromTheQueryString() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .GET,
                "/v1/echo?at=2024-01-01T01:00:00%2B01:00&ttl=1.5s&mask=fInt32,nested.label&big=-7"
            )
            #expect(response.status == 200, "\(response.text)")
            #expect(
                response.text
                    == #"{"at":"2024-01-01T00:00:00Z","ttl":"1.500s","mask":"fInt32,nested.label","big":"-7"}"#
            )
            // An unescaped "+" is a space, so the offset is malformed.
            let plus = try await client.send(.GET, "/v1/echo?at=2024-01-01T01:00:00+01:00")
            #expect(plus.status == 400)
        }
    }

    @Test func protoFieldNamesAreAcceptedToo() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .POST,
                "/v1/echo",
                body: #"{"f_int32":5,"choice_number":0,"renamed":"r"}"#
            )
            #expect(response.status == 200)
            let json = try response.jsonObject()
            #expect(json["fInt32"] as? Int == 5)
            #expect(json["choiceNumber"] as? Int == 0)
            #expect(json["customName"] as? String == "r")
        }
    }

    @Test func malformedJSONIsA400() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.POST, "/v1/echo", body: #"{"fInt32": 1,"#)
            #expect(response.status == 400)
            #expect(try response.jsonObject()["code"] as? Int == 3)
        }
    }

    @Test(
        "bad input names its field in a google.rpc.BadRequest detail",
        arguments: [
            (#"{"nested":{"child":{"label":[]}}}"#, "/v1/echo", "nested.child.label", "expected a string, got array"),
            (
                #"{"nested":{"nope":1}}"#, "/v1/echo", "nested.nope",
                #"unknown field "nope" in demo.echo.v1.Everything.Nested"#
            ),
            (#"{"tags":["a",2]}"#, "/v1/echo", "tags[1]", "expected a string, got number"),
            (#"{}"#, "/v1/echo/nested/x?colour=red", "colour", "unknown query parameter 'colour'"),
        ]
    )
    func badRequestDetails(_ body: String, _ uri: String, _ field: String, _ description: String) async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let isQuery = uri.contains("?")
            let response = try await client.send(isQuery ? .GET : .POST, uri, body: isQuery ? nil : body)
            #expect(response.status == 400)
            let details = try #require(try response.jsonObject()["details"] as? [[String: Any]], "\(response.text)")
            #expect(details.count == 1)
            #expect(details.first?["@type"] as? String == "type.googleapis.com/google.rpc.BadRequest")
            let violations = details.first?["fieldViolations"] as? [[String: String]]
            #expect(violations?.first?["field"] == field, "\(response.text)")
            let text = violations?.first?["description"] ?? ""
            // The query case's sentence goes on to list the route's settable fields.
            #expect(isQuery ? text.hasPrefix(description) : text == description, "\(response.text)")
        }
    }

    @Test func unknownFieldIsA400NamingIt() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.POST, "/v1/echo", body: #"{"fInt32":1,"surprise":true}"#)
            #expect(response.status == 400)
            #expect((try response.jsonObject()["message"] as? String)?.contains("surprise") == true)
        }
    }

    @Test func wrongTypeIsA400NamingTheField() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.POST, "/v1/echo", body: #"{"nested":{"value":"many"}}"#)
            #expect(response.status == 400)
            #expect((try response.jsonObject()["message"] as? String)?.contains("value") == true)
        }
    }

    @Test func queryParametersFillScalarRepeatedNestedAndEnumFields() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .GET,
                "/v1/echo?fString=hi%20there&numbers=1&numbers=2&nested.label=x&color=GREEN&f_int64=12&tags=a+b"
            )
            #expect(response.status == 200, "\(response.text)")
            let json = try response.jsonObject()
            #expect(json["fString"] as? String == "hi there")
            #expect(json["numbers"] as? [Int] == [1, 2])
            #expect((json["nested"] as? [String: Any])?["label"] as? String == "x")
            #expect(json["color"] as? String == "GREEN")
            #expect(json["fInt64"] as? String == "12")
            #expect(json["tags"] as? [String] == ["a b"])
            let unknown = try await client.send(.GET, "/v1/echo?nope=1")
            #expect(unknown.status == 400)
            #expect((try unknown.jsonObject()["message"] as? String)?.contains("nope") == true)
        }
    }

    @Test func pathTemplatesBindFieldsPerTheHttpRuleSpec() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let twoVars = try await client.send(.GET, "/v1/echo/a%2Fb/77")
            #expect(twoVars.status == 200)
            #expect(try twoVars.jsonObject()["fString"] as? String == "a/b")
            #expect(try twoVars.jsonObject()["fInt64"] as? String == "77")

            let multi = try await client.send(.GET, "/v1/shelves/s1/books/b%2F2")
            #expect(multi.status == 200)
            #expect(try multi.jsonObject()["fString"] as? String == "shelves/s1/books/b%2F2")

            let verb = try await client.send(.POST, "/v1/shelves/s1/books/b2:archive", body: #"{"fInt32":9}"#)
            #expect(verb.status == 200)
            #expect(try verb.jsonObject()["fString"] as? String == "shelves/s1/books/b2")
            #expect(try verb.jsonObject()["fInt32"] as? Int == 9)

            let deep = try await client.send(.GET, "/v1/tree/a/b/c")
            #expect(try deep.jsonObject()["fString"] as? String == "a/b/c")

            let bodyField = try await client.send(.POST, "/v1/echo/str:nested", body: #"{"label":"L","value":4}"#)
            #expect(bodyField.status == 200)
            let nested = try bodyField.jsonObject()["nested"] as? [String: Any]
            #expect(nested?["label"] as? String == "L")
            #expect(try bodyField.jsonObject()["fString"] as? String == "str")

            let responseBody = try await client.send(.GET, "/v1/echo/nested/only")
            #expect(responseBody.status == 200)
            #expect(try responseBody.jsonObject()["label"] as? String == "only")

            let head = try await client.send(.HEAD, "/v1/echo/5")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }
}
