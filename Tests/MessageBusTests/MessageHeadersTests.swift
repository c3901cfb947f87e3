import MessageBus
import Testing

@Suite("Message headers")
struct MessageHeadersTests {
    @Test func keepsOrderAndRepeatedNames() {
        var headers: MessageHeaders = ["a": "1", "b": "2"]
        headers.append(name: "a", value: "3")
        #expect(headers.map(\.name) == ["a", "b", "a"])
        #expect(headers["a"] == "3")
        #expect(headers.bytes(forName: "b") == Array("2".utf8))
    }

    @Test func assigningReplacesEveryHeaderOfThatNameInPlace() {
        var headers: MessageHeaders = ["a": "1", "b": "2"]
        headers.append(name: "a", value: "3")
        headers["a"] = "new"
        #expect(headers.map(\.name) == ["a", "b"])
        #expect(headers["a"] == "new")
        headers["a"] = nil
        #expect(headers.map(\.name) == ["b"])
    }

    @Test func binaryValuesThatAreNotUTF8HaveNoStringValue() {
        let header = MessageHeader(name: "bin", value: [0xFF, 0xFE])
        #expect(header.stringValue == nil)
        #expect(MessageHeader(name: "s", value: "ü").value == [0xC3, 0xBC])
    }
}
