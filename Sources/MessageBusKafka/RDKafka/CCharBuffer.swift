extension [CChar] {
    /// The text a C function wrote into this buffer, up to its NUL terminator.
    var nulTerminatedString: String {
        let bytes = self.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
