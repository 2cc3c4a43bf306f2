// Loading one plugin file: private copy, dlopen, entry symbol, ABI checks.
import CEventdPlugin
import Foundation

/// Why a plugin was refused. Each case says enough for an admin to act.
public enum PluginRefusal: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotCopy(path: String, reason: String)
    case cannotOpen(path: String, reason: String)
    case missingEntry(path: String)
    case nullRegistration(path: String)
    case wrongABI(path: String, found: UInt32, expected: UInt32)
    case structTooSmall(path: String, found: UInt32, minimum: UInt32)
    case invalidRegistration(path: String, reason: String)
    case duplicateName(name: String, path: String, loadedFrom: String)
    case duplicateClaim(name: String, event: String, group: String, heldBy: String)
    case initFailed(name: String, reason: String)
    case badConfiguration(name: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCopy(path, reason): "cannot copy \(path) to the runtime directory: \(reason)"
        case let .cannotOpen(path, reason): "cannot dlopen \(path): \(reason)"
        case let .missingEntry(path): "\(path) does not export \(DTE_ENTRY_SYMBOL); not a devtrip-eventd plugin"
        case let .nullRegistration(path): "\(path): \(DTE_ENTRY_SYMBOL) returned NULL"
        case let .wrongABI(path, found, expected): "\(path) is built for plugin ABI \(found); this daemon speaks ABI \(expected)"
        case let .structTooSmall(path, found, minimum): "\(path): registration struct is \(found) bytes, ABI v1 needs at least \(minimum)"
        case let .invalidRegistration(path, reason): "\(path): invalid registration: \(reason)"
        case let .duplicateName(name, path, loadedFrom): "\(path): a plugin named '\(name)' is already loaded from \(loadedFrom)"
        case let .duplicateClaim(name, event, group, heldBy):
            "plugin '\(name)' claims (\(event), \(group)), already claimed by '\(heldBy)'; neither allows sharing"
        case let .initFailed(name, reason): "plugin '\(name)' init failed: \(reason)"
        case let .badConfiguration(name, reason): "plugin '\(name)': \(reason)"
        }
    }
}

/// A plugin image mapped into the process, ABI-checked, not yet initialised.
/// The image is opened with RTLD_NODELETE and never unmapped (DESIGN §3).
public struct PluginImage: @unchecked Sendable {
    public let sourcePath: String
    public let loadedPath: String
    public let registration: UnsafePointer<dte_plugin>
    public let name: String
    public let version: String
    public let sharesClaims: Bool
    /// The plugin asked for transactional handling (DTE_PLUGIN_TRANSACTIONAL).
    public let transactional: Bool
    public let subscriptions: [(event: String, group: String)]

    /// The size of `dte_plugin` in ABI v1; fields are only ever appended.
    public static let v1RegistrationSize = UInt32(MemoryLayout<dte_plugin>.size)

    /// Copies `path` to a unique file under `imageDir`, opens and checks it.
    /// - Throws: `PluginRefusal` saying why the file is not a usable plugin.
    public static func load(path: String, imageDir: String) throws(PluginRefusal) -> PluginImage {
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let copy = "\(imageDir)/\(base)-\(UUID().uuidString.prefix(8).lowercased()).so"
        do {
            try FileManager.default.createDirectory(atPath: imageDir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
        } catch {
            throw .cannotCopy(path: path, reason: "\(error.localizedDescription)")
        }
        // The copy is only needed until dlopen maps it; a removed file stays mapped.
        defer { try? FileManager.default.removeItem(atPath: copy) }
        guard let handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw .cannotOpen(path: path, reason: reason.replacingOccurrences(of: copy, with: path))
        }
        guard let symbol = dlsym(handle, DTE_ENTRY_SYMBOL) else {
            dlclose(handle)
            throw .missingEntry(path: path)
        }
        let entry = unsafeBitCast(symbol, to: dte_entry_fn.self)
        guard let registration = entry() else { throw .nullRegistration(path: path) }
        let plugin = registration.pointee
        guard plugin.abi_major == DTE_ABI_MAJOR else {
            throw .wrongABI(path: path, found: plugin.abi_major, expected: DTE_ABI_MAJOR)
        }
        guard plugin.struct_size >= v1RegistrationSize else {
            throw .structTooSmall(path: path, found: plugin.struct_size, minimum: v1RegistrationSize)
        }
        guard let cName = plugin.name, let cVersion = plugin.version else {
            throw .invalidRegistration(path: path, reason: "name and version must be set")
        }
        let name = String(cString: cName)
        guard !name.isEmpty, name.utf8.allSatisfy({ isNameByte($0) }) else {
            throw .invalidRegistration(path: path, reason: "name '\(name)' must match [a-z0-9._-]+")
        }
        guard plugin.`init` != nil, plugin.handle != nil, plugin.shutdown != nil else {
            throw .invalidRegistration(path: path, reason: "init, handle and shutdown must all be set")
        }
        guard plugin.subscription_count > 0, plugin.subscription_count <= 4096, let subs = plugin.subscriptions else {
            throw .invalidRegistration(path: path, reason: "a plugin needs 1 to 4096 subscriptions")
        }
        var subscriptions: [(String, String)] = []
        for i in 0..<plugin.subscription_count {
            guard let event = subs[i].event_name, let group = subs[i].consumer_group else {
                throw .invalidRegistration(path: path, reason: "subscription \(i) lacks an event name or group")
            }
            let e = String(cString: event), g = String(cString: group)
            guard !e.isEmpty, !g.isEmpty else {
                throw .invalidRegistration(path: path, reason: "subscription \(i) has an empty event name or group")
            }
            subscriptions.append((e, g))
        }
        return PluginImage(sourcePath: path, loadedPath: copy, registration: registration, name: name,
                           version: String(cString: cVersion),
                           sharesClaims: plugin.flags & DTE_PLUGIN_SHARED_CLAIMS != 0,
                           transactional: plugin.flags & DTE_PLUGIN_TRANSACTIONAL != 0,
                           subscriptions: subscriptions)
    }
}

private func isNameByte(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
}
