import Foundation
import CinergyCore
import Testing

@Suite("OpenStack Nova metadata")
struct NovaInstanceTests {
    /// As Nova writes it into a domain's `<metadata>` (libvirt returns the element alone).
    static let xml = """
        <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
          <nova:package version="27.1.0"/>
          <nova:name>web-frontend-01</nova:name>
          <nova:creationTime>2026-11-02 09:14:55</nova:creationTime>
          <nova:flavor name="m1.small">
            <nova:memory>2048</nova:memory>
            <nova:disk>20</nova:disk>
            <nova:swap>0</nova:swap>
            <nova:ephemeral>0</nova:ephemeral>
            <nova:vcpus>1</nova:vcpus>
          </nova:flavor>
          <nova:owner>
            <nova:user uuid="9f1c2d3e4b5a69788796a5b4c3d2e1f0">alice</nova:user>
            <nova:project uuid="3a2b1c0d9e8f77665544332211009988">web &amp; shop</nova:project>
          </nova:owner>
          <nova:root type="image" uuid="6b8e3c1a-0000-4000-8000-1234567890ab"/>
          <nova:ports>
            <nova:port uuid="c0ffee00-0000-4000-8000-000000000001">
              <nova:ip type="fixed" address="10.0.0.12" ipVersion="4"/>
            </nova:port>
          </nova:ports>
        </nova:instance>
        """

    @Test("display name, project, user and flavor are read; ports and root disk are not names")
    func parse() throws {
        let nova = try #require(NovaInstance(xml: Self.xml))
        #expect(nova.displayName == "web-frontend-01")
        #expect(nova.projectID == "3a2b1c0d9e8f77665544332211009988")
        #expect(nova.projectName == "web & shop")
        #expect(nova.userID == "9f1c2d3e4b5a69788796a5b4c3d2e1f0")
        #expect(nova.userName == "alice")
        #expect(nova.flavorName == "m1.small")
    }

    @Test("the older 1.0 namespace and another prefix work too")
    func olderNamespace() throws {
        let xml = Self.xml.replacingOccurrences(of: "nova/1.1", with: "nova/1.0").replacingOccurrences(of: "nova:", with: "n:")
            .replacingOccurrences(of: "xmlns:nova", with: "xmlns:n")
        let nova = try #require(NovaInstance(xml: xml))
        #expect(nova.displayName == "web-frontend-01")
        #expect(nova.flavorName == "m1.small")
    }

    @Test("as virDomainGetMetadata returns it: the element without its namespace")
    func asLibvirtReturnsIt() throws {
        let xml = "<instance>\n  <name>x</name>\n  <flavor name=\"m1.tiny\"/>\n</instance>\n"
        let nova = try #require(NovaInstance(xml: xml))
        #expect(nova.displayName == "x")
        #expect(nova.flavorName == "m1.tiny")
    }

    @Test("not Nova metadata, or not XML: nil", arguments: ["", "<other/>", "<nova:instance", "plain text", "<x:instance xmlns:x=\"urn:other\"/>"])
    func notNova(_ xml: String) {
        #expect(NovaInstance(xml: xml) == nil)
    }

    @Test("names are trimmed exactly as Foundation's trimmingCharacters(in: .whitespacesAndNewlines) trims")
    func trimmingMatchesFoundation() {
        let spaces = (0...0x3000).compactMap(Unicode.Scalar.init).filter { CharacterSet.whitespacesAndNewlines.contains($0) }
        #expect(spaces.count > 20)
        for space in spaces {
            let padded = "\(space)\(space)web \(space) 01\(space)"
            let xml = "<instance><name>\(padded)</name></instance>"
            #expect(
                NovaInstance(xml: xml)?.displayName == padded.trimmingCharacters(in: .whitespacesAndNewlines),
                "U+\(String(space.value, radix: 16))"
            )
        }
        #expect(NovaInstance(xml: "<instance><name> \u{301}x </name></instance>")?.displayName == " \u{301}x ".trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(NovaInstance(xml: "<instance><name> \u{200B} </name></instance>")?.displayName == nil)
    }
}
