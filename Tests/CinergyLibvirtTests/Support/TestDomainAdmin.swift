import CLibvirt
import CinergyLibvirt
import Foundation

/// A failed call on ``TestDomainAdmin``'s read-write connection.
struct TestDomainAdminError: Error, CustomStringConvertible {
    var function: String
    var message: String

    static func last(from function: String) -> TestDomainAdminError {
        let message = virGetLastError()?.pointee.message.map { String(cString: $0) } ?? "no libvirt error"
        return TestDomainAdminError(function: function, message: message)
    }

    var description: String { "\(function): \(message)" }
}

/// A read-write connection to the in-process test driver, for defining and driving test domains.
///
/// The module under test is read-only on purpose, so tests change domains through this helper,
/// which uses CLibvirt directly. `test:///default` connections in one process share their state,
/// so what this helper does is seen, and reported as events, by a ``LibvirtConnection``.
/// Open it after a `LibvirtConnection` so that the event loop is registered first.
final class TestDomainAdmin: @unchecked Sendable {
    static let uri = "test:///default"

    /// The read-write `virConnectPtr`.
    let pointer: OpaquePointer

    init() throws {
        try LibvirtLibrary.load()
        guard let pointer = virConnectOpen(Self.uri) else {
            throw TestDomainAdminError.last(from: "virConnectOpen")
        }
        self.pointer = pointer
    }

    deinit {
        virConnectClose(pointer)
    }

    /// A name no other test uses: `cinergy-test-` and eight random hexadecimal digits.
    static func uniqueName() -> String {
        "cinergy-test-" + String(UInt32.random(in: .min ... .max), radix: 16)
    }

    /// Defines a persistent, inactive domain; returns its lowercase UUID.
    @discardableResult
    func define(name: String, vcpus: Int = 2) throws -> String {
        let xml = """
            <domain type='test'>
              <name>\(name)</name>
              <memory unit='MiB'>64</memory>
              <vcpu>\(vcpus)</vcpu>
              <os><type>hvm</type></os>
            </domain>
            """
        guard let domain = virDomainDefineXML(pointer, xml) else {
            throw TestDomainAdminError.last(from: "virDomainDefineXML")
        }
        defer { virDomainFree(domain) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard virDomainGetUUIDString(domain, &buffer) == 0 else {
            throw TestDomainAdminError.last(from: "virDomainGetUUIDString")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
    }

    func create(_ name: String) throws { try withDomain(name, "virDomainCreate") { virDomainCreate($0) } }
    func suspend(_ name: String) throws { try withDomain(name, "virDomainSuspend") { virDomainSuspend($0) } }
    func resume(_ name: String) throws { try withDomain(name, "virDomainResume") { virDomainResume($0) } }
    func shutdown(_ name: String) throws { try withDomain(name, "virDomainShutdown") { virDomainShutdown($0) } }
    func destroy(_ name: String) throws { try withDomain(name, "virDomainDestroy") { virDomainDestroy($0) } }
    func undefine(_ name: String) throws { try withDomain(name, "virDomainUndefine") { virDomainUndefine($0) } }

    /// Renames an inactive domain (`virDomainRename()`).
    func rename(_ name: String, to newName: String) throws {
        try withDomain(name, "virDomainRename") { virDomainRename($0, newName, 0) }
    }

    /// Destroys and undefines whichever of `names` still exist; never throws.
    func cleanUp(_ names: String...) {
        for name in names {
            guard let domain = virDomainLookupByName(pointer, name) else {
                continue
            }
            if virDomainIsActive(domain) == 1 {
                virDomainDestroy(domain)
            }
            if virDomainIsPersistent(domain) == 1 {
                virDomainUndefine(domain)
            }
            virDomainFree(domain)
        }
    }

    private func withDomain(_ name: String, _ function: String, _ body: (OpaquePointer) -> Int32) throws {
        guard let domain = virDomainLookupByName(pointer, name) else {
            throw TestDomainAdminError.last(from: "virDomainLookupByName")
        }
        defer { virDomainFree(domain) }
        guard body(domain) == 0 else {
            throw TestDomainAdminError.last(from: function)
        }
    }
}
