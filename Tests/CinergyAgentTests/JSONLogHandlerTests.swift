@testable import CinergyAgent
import Foundation
import Logging
import Synchronization
import Testing

@Suite("LOG_FORMAT=json")
struct JSONLogHandlerTests {
    @Test("a record is one JSON line: time, level, label, message, metadata")
    func line() throws {
        let lines = Mutex<[String]>([])
        var handler = JSONLogHandler(label: "cinergy") { line in lines.withLock { $0.append(line) } }
        handler.logLevel = .debug
        handler[metadataKey: "source"] = "procfs"
        let logger = Logger(label: "cinergy", factory: { _ in handler })
        logger.info("VM found", metadata: ["vm": "web \"01\"\n", "vcpus": "4", "list": ["a", "b"], "nested": ["k": "v"]])
        logger.trace("not written")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let text = try #require(written.first)
        #expect(text.hasSuffix("}\n") && !text.dropLast().contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "cinergy")
        #expect(object["message"] as? String == "VM found")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["vm"] as? String == "web \"01\"\n")
        #expect(metadata["source"] as? String == "procfs")
        #expect(metadata["list"] as? [String] == ["a", "b"])
        #expect((metadata["nested"] as? [String: String])?["k"] == "v")
        #expect(text.hasPrefix("{\"time\":"))
    }
}
