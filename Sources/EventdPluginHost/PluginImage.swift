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
    /// The plugin's `check_settings` refused its `[settings]` (`--check-config`).
    case settingsRefused(name: String, reason: String)

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
        case let .settingsRefused(name, reason): "plugin '\(name)' refuses its [settings]: \(reason)"
        }
    }
}

/// A plugin image mapped into the process, ABI-checked, not yet initialised.
/// The image is opened with RTLD_NODELETE and never unmapped (docs/plugin-loading.md).
public struct PluginImage: @unchecked Sendable {
    public let sourcePath: String
    public let loadedPath: String
    /// The plugin's registration as far as its `struct_size` reaches; fields
    /// past that (appended after the plugin was built) are zero / NULL.
    public let registration: dte_plugin
    public let name: String
    public let version: String
    public let sharesClaims: Bool
    /// The plugin asked for transactional handling (DTE_PLUGIN_TRANSACTIONAL).
    public let transactional: Bool
    public let subscriptions: [(event: String, group: String)]

    /// The size of `dte_plugin` in ABI v1, as the header freezes it; fields are only ever appended.
    public static let v1RegistrationSize = DTE_PLUGIN_V1_SIZE
    /// The highest ABI major probed for when a file lacks this ABI's entry symbol.
    static let highestProbedMajor: UInt32 = 999

    /// Copies `path` to a unique file under `imageDir`, opens and checks it.
    /// The private copy lets a rebuilt file load beside the old image (reload).
    /// - Throws: `PluginRefusal` saying why the file is not a usable plugin.
    public static func load(path: String, imageDir: String) throws(PluginRefusal) -> PluginImage {
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let copy = "\(imageDir)/\(base)-\(UUID().uuidString.prefix(8).lowercased()).so"
        do {
            try FileManager.default.createDirectory(atPath: imageDir, withIntermediateDirectories: true)
            // A symbolic link (`make run`'s plugin directory) is copied as the file it names: what was built there.
            let target = realpath(path, nil).map { resolved in defer { free(resolved) }; return String(cString: resolved) } ?? path
            try FileManager.default.copyItem(atPath: target, toPath: copy)
        } catch {
            throw .cannotCopy(path: path, reason: "\(error.localizedDescription)")
        }
        // The copy is only needed until dlopen maps it; a removed file stays mapped.
        defer { try? FileManager.default.removeItem(atPath: copy) }
        return try open(copy, reportedAs: path)
    }

    /// Opens and checks `path` where it lies, for a process that never
    /// reloads it (`devtrip-eventd --check-config`).
    /// - Throws: `PluginRefusal` saying why the file is not a usable plugin.
    public static func inspect(path: String) throws(PluginRefusal) -> PluginImage {
        try open(path, reportedAs: path)
    }

    private static func open(_ file: String, reportedAs path: String) throws(PluginRefusal) -> PluginImage {
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw .cannotOpen(path: path, reason: reason.replacingOccurrences(of: file, with: path))
        }
        guard let symbol = dlsym(handle, DTE_ENTRY_SYMBOL) else {
            let builtFor = otherMajor(in: handle)
            dlclose(handle)
            if let builtFor { throw .wrongABI(path: path, found: builtFor, expected: DTE_ABI_MAJOR) }
            throw .missingEntry(path: path)
        }
        let entry = unsafeBitCast(symbol, to: dte_entry_fn.self)
        guard let exported = entry() else { throw .nullRegistration(path: path) }
        let plugin = try registration(at: UnsafeRawPointer(exported), path: path)
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
        return PluginImage(sourcePath: path, loadedPath: file, registration: plugin, name: name,
                           version: String(cString: cVersion),
                           sharesClaims: plugin.flags & DTE_PLUGIN_SHARED_CLAIMS != 0,
                           transactional: plugin.flags & DTE_PLUGIN_TRANSACTIONAL != 0,
                           subscriptions: try subscriptions(of: plugin, path: path))
    }

    /// Reads the version words, then copies only as much of the struct as the
    /// plugin says it wrote: a v1 plugin's struct ends where v1 ended, and the
    /// bytes after it are not the plugin's.
    private static func registration(at raw: UnsafeRawPointer, path: String) throws(PluginRefusal) -> dte_plugin {
        let abiMajor = raw.load(fromByteOffset: MemoryLayout<dte_plugin>.offset(of: \.abi_major)!, as: UInt32.self)
        guard abiMajor == DTE_ABI_MAJOR else {
            throw .wrongABI(path: path, found: abiMajor, expected: DTE_ABI_MAJOR)
        }
        let structSize = raw.load(fromByteOffset: MemoryLayout<dte_plugin>.offset(of: \.struct_size)!, as: UInt32.self)
        guard structSize >= v1RegistrationSize else {
            throw .structTooSmall(path: path, found: structSize, minimum: v1RegistrationSize)
        }
        var plugin = dte_plugin()
        withUnsafeMutableBytes(of: &plugin) { known in
            known.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(Int(structSize), known.count)))
        }
        return plugin
    }

    private static func subscriptions(of plugin: dte_plugin, path: String) throws(PluginRefusal) -> [(event: String, group: String)] {
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
        return subscriptions
    }

    /// The major of another ABI's entry symbol the image exports, if any: a
    /// plugin built against another header exports `devtrip_eventd_plugin_v<N>`.
    private static func otherMajor(in handle: UnsafeMutableRawPointer) -> UInt32? {
        (0...highestProbedMajor).first { $0 != DTE_ABI_MAJOR && dlsym(handle, "\(DTE_ENTRY_SYMBOL_PREFIX)\($0)") != nil }
    }

    /// Asks the plugin whether it would accept `settingsJSON` at init, without
    /// creating an instance (`check_settings`; a plugin without it accepts all).
    /// - Returns: nil when accepted, else the plugin's reason.
    public func checkSettings(_ settingsJSON: String) -> String? {
        guard let check = registration.check_settings else { return nil }
        var err = [CChar](repeating: 0, count: 1024)
        let rc = settingsJSON.withCString { check($0, strlen($0), &err, err.count) }
        guard rc != 0 else { return nil }
        return err.pluginReason(rc: rc)
    }
}

extension [CChar] {
    /// The NUL-terminated reason a plugin wrote into this error buffer, or
    /// a note that it wrote none.
    func pluginReason(rc: Int32) -> String {
        let reason = withUnsafeBytes { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return reason.isEmpty ? "returned \(rc) without a reason" : reason
    }
}

private func isNameByte(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
        || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
}
