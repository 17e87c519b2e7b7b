import Testing

@testable import CinergyFleet

@Suite struct FleetSchemaTests {
    @Test func knowsAVersion() {
        #expect(FleetSchema.currentVersion >= 1)
    }
}
