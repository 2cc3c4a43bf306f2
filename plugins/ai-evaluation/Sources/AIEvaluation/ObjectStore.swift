// Where mission result data comes from: an object store addressed by key
// (the catalog's "S3에서 미션 데이터 로드"). The directory store is the default;
// an S3 backend implements the same protocol and throws the same errors.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why an object could not be loaded.
public enum ObjectStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The key is not acceptable (escapes the store, absolute, malformed).
    /// Permanent: the event naming it is rejected.
    case invalidKey(String, reason: String)
    /// No object under this key (yet). Retryable.
    case notFound(String)
    /// The object is larger than the configured limit. Retryable (it may be rewritten).
    case tooLarge(String, size: Int, limit: Int)
    /// The object exists but cannot be read. Retryable.
    case unreadable(String, reason: String)

    /// Whether the event naming this key can never succeed.
    public var isPermanent: Bool {
        if case .invalidKey = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .invalidKey(let key, let reason): "object key '\(key)' is invalid: \(reason)"
        case .notFound(let key): "object '\(key)' not found"
        case .tooLarge(let key, let size, let limit): "object '\(key)' is \(size) bytes, more than the limit of \(limit)"
        case .unreadable(let key, let reason): "object '\(key)' cannot be read: \(reason)"
        }
    }
}

/// A read-only object store. Implementations must be safe to call from
/// several threads and must throw `ObjectStoreError`.
public protocol ObjectStore: Sendable {
    /// The object stored under `key`.
    /// - Throws: `ObjectStoreError`.
    func load(key: String) throws -> Data
}

/// Key rules shared by every backend: a relative, slash-separated path of
/// non-empty segments, none of them `.` or `..`, without control characters,
/// at most 1024 UTF-8 bytes (S3's limit).
public enum ObjectKey {
    public static let maxBytes = 1024

    /// - Throws: `ObjectStoreError.invalidKey` naming the broken rule.
    public static func validate(_ key: String) throws(ObjectStoreError) {
        guard !key.isEmpty else { throw .invalidKey(key, reason: "it is empty") }
        guard key.utf8.count <= maxBytes else { throw .invalidKey(key, reason: "it is longer than \(maxBytes) bytes") }
        guard !key.hasPrefix("/") else { throw .invalidKey(key, reason: "it is an absolute path") }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidKey(key, reason: "it contains a control character")
        }
        guard !key.contains("\\") else { throw .invalidKey(key, reason: "it contains a backslash") }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            switch segment {
            case "": throw .invalidKey(key, reason: "it has an empty path segment")
            case ".": throw .invalidKey(key, reason: "it has a '.' path segment")
            case "..": throw .invalidKey(key, reason: "it has a '..' path segment (path traversal)")
            default: continue
            }
        }
    }
}

/// Objects as regular files under a root directory: key `u-1/m-1.json` is
/// the file `<root>/u-1/m-1.json`. A key that resolves outside the root
/// (through `..` or a symbolic link) is invalid.
public struct DirectoryObjectStore: ObjectStore {
    public let root: String
    public let maxBytes: Int

    /// - Parameters:
    ///   - root: an absolute directory path; it need not exist yet (objects are then "not found").
    ///   - maxBytes: objects larger than this are refused (`tooLarge`).
    public init(root: String, maxBytes: Int = 1_048_576) {
        self.root = root
        self.maxBytes = maxBytes
    }

    public func load(key: String) throws -> Data {
        try ObjectKey.validate(key)
        guard let realRoot = Self.realPath(root) else { throw ObjectStoreError.notFound(key) }
        let base = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
        guard let real = Self.realPath(base + key) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ObjectStoreError.notFound(key) }
            throw ObjectStoreError.unreadable(key, reason: String(cString: strerror(code)))
        }
        guard real.hasPrefix(base) else {
            throw ObjectStoreError.invalidKey(key, reason: "it resolves outside the store root")
        }
        let fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw ObjectStoreError.notFound(key) }
            throw ObjectStoreError.unreadable(key, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ObjectStoreError.unreadable(key, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ObjectStoreError.unreadable(key, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw ObjectStoreError.tooLarge(key, size: size, limit: maxBytes) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, size - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreError.unreadable(key, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
        }
        return Data(bytes.prefix(filled))
    }

    /// realpath(3); nil with `errno` set when it fails.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
