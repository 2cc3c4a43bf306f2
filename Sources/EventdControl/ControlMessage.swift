// The control protocol, version 1: one JSON object per line each way.
//
//   request:  {"v":1,"cmd":"plugin-reload","args":{"name":"echo"}}
//   response: {"v":1,"ok":true,"result":{...}}
//             {"v":1,"ok":false,"error":{"code":"refused","message":"..."}}
import Foundation

public let controlProtocolVersion = 1
/// Requests longer than this are answered with an error and the connection closed.
public let controlMaxRequestBytes = 65_536

public struct ControlRequest: Codable, Sendable, Equatable {
    public var v: Int
    public var cmd: String
    public var args: [String: String]

    public init(_ cmd: String, _ args: [String: String] = [:]) {
        v = controlProtocolVersion
        self.cmd = cmd
        self.args = args
    }

    /// A request for `verb`; nil values are left out.
    public init(_ verb: ControlVerb, _ arguments: [ControlArgument: String?] = [:]) {
        self.init(verb.rawValue, Dictionary(uniqueKeysWithValues: arguments.compactMap { key, value in value.map { (key.name, $0) } }))
    }
}

/// Why a request did not succeed; the CLI maps each to its own exit code.
public enum ControlErrorCode: String, Codable, Sendable {
    /// Not a valid request: malformed JSON, unknown command, bad arguments, too large.
    case badRequest = "bad-request"
    /// Understood but not allowed or not applicable: permission, unknown plugin, nothing to do.
    case refused
    /// Attempted and failed: the new plugin build was refused, the broker did not answer.
    case failed
}

public struct ControlError: Codable, Sendable, Equatable, Error {
    public var code: ControlErrorCode
    public var message: String
    public init(_ code: ControlErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

public struct ControlResponse: Codable, Sendable, Equatable {
    public var v: Int
    public var ok: Bool
    public var result: JSONValue?
    public var error: ControlError?

    public init(v: Int = controlProtocolVersion, ok: Bool, result: JSONValue?, error: ControlError?) {
        self.v = v
        self.ok = ok
        self.result = result
        self.error = error
    }

    public static func success(_ result: JSONValue) -> ControlResponse {
        ControlResponse(v: controlProtocolVersion, ok: true, result: result, error: nil)
    }

    public static func failure(_ error: ControlError) -> ControlResponse {
        ControlResponse(v: controlProtocolVersion, ok: false, result: nil, error: error)
    }

    /// The answer carrying `report`: ok unless the report says what failed.
    public static func report(_ report: some ControlReport) -> ControlResponse {
        do {
            return ControlResponse(ok: report.failure == nil, result: try JSONValue(encoding: report), error: report.failure)
        } catch {
            return .failure(.init(.failed, "cannot encode the answer: \(error)"))
        }
    }
}

/// A JSON value, so results travel without Foundation's untyped dictionaries.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public subscript(_ key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var number: Double? { if case .number(let n) = self { return n }; return nil }
    public var int: Int? { number.map { Int($0) } }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }
    public init(_ int: Int) { self = .number(Double(int)) }
    public init(_ string: String) { self = .string(string) }
}

public enum ControlCoding {
    public static func encodeLine<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
