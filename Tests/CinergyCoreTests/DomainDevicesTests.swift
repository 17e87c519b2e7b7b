import CinergyCore
import Testing

@Suite("Guest channel: a domain's channels from its live XML")
struct DomainDevicesTests {
    /// The devices part of a running domain's XML, as `virsh dumpxml` shows it (libvirt 9.0).
    static let live = """
        <domain type='qemu' id='7'>
          <name>web-01</name>
          <uuid>f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f</uuid>
          <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>web</nova:name></nova:instance></metadata>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <controller type='virtio-serial' index='0'><alias name='virtio-serial0'/></controller>
            <channel type='unix'>
              <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-7-web-01/org.qemu.guest_agent.0'/>
              <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
              <alias name='channel0'/>
              <address type='virtio-serial' controller='0' bus='0' port='1'/>
            </channel>
            <channel type='unix'>
              <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-7-web-01/org.cinergy.power.0'/>
              <target type='virtio' name='org.cinergy.power.0' state='disconnected'/>
              <alias name='channel1'/>
              <address type='virtio-serial' controller='0' bus='0' port='2'/>
            </channel>
            <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>
          </devices>
        </domain>
        """

    @Test("the channel org.cinergy.power.0: its socket, mode and state; the controller is seen")
    func declared() throws {
        let devices = try #require(DomainDevices(domainXML: Self.live))
        #expect(devices.channels.count == 3)
        #expect(devices.hasVirtioSerialController)
        let channel = try #require(devices.channel(named: "org.cinergy.power.0"))
        #expect(channel.sourcePath == "/var/lib/libvirt/qemu/channel/target/domain-7-web-01/org.cinergy.power.0")
        #expect(channel.sourceMode == "bind")
        #expect(channel.targetState == "disconnected")
        #expect(channel.isListeningVirtioSocket)
        #expect(devices.channel(named: "org.qemu.guest_agent.0")?.targetState == "connected")
        #expect(devices.channel(named: "com.redhat.spice.0")?.isListeningVirtioSocket == false)
    }

    @Test("no channel, no controller; channels outside <devices> do not count")
    func absent() throws {
        let xml = """
            <domain type='qemu'><name>bare</name>
              <metadata><channel type='unix'><source mode='bind' path='/tmp/x'/><target type='virtio' name='org.cinergy.power.0'/></channel></metadata>
              <devices><controller type='usb' model='none'/></devices>
            </domain>
            """
        let devices = try #require(DomainDevices(domainXML: xml))
        #expect(devices.channels.isEmpty)
        #expect(!devices.hasVirtioSerialController)
        #expect(devices.channel(named: "org.cinergy.power.0") == nil)
    }

    @Test(
        "a channel the agent cannot connect to: QEMU connecting out, a file, no path yet",
        arguments: [
            "<channel type='unix'><source mode='connect' path='/run/x.sock'/><target type='virtio' name='org.cinergy.power.0'/></channel>",
            "<channel type='file'><source path='/tmp/out'/><target type='virtio' name='org.cinergy.power.0'/></channel>",
            "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.cinergy.power.0'/></channel>",
        ]
    )
    func unusable(channel: String) throws {
        let devices = try #require(DomainDevices(domainXML: "<domain><devices>\(channel)</devices></domain>"))
        let found = try #require(devices.channel(named: "org.cinergy.power.0"))
        #expect(!found.isListeningVirtioSocket)
    }

    @Test("not a domain, or not well-formed: nil", arguments: ["<network/>", "<domain><devices></domain>", "", "<!DOCTYPE domain><domain/>"])
    func malformed(xml: String) {
        #expect(DomainDevices(domainXML: xml) == nil)
    }
}
