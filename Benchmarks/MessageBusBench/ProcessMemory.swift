import Foundation

/// This process's resident memory, from `/proc/self` (Linux).
enum ProcessMemory {
    /// Resets the peak resident set (`VmHWM`) to the current one, so that the next ``peakBytes()`` is the peak of
    /// what ran in between. The heap's free memory goes back to the system first (`malloc_trim`), so that a case
    /// starts from what is live rather than from what earlier cases left cached in malloc's arenas.
    static func resetPeak() {
        _ = self.mallocTrim?(0)
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// glibc's `malloc_trim`, which Swift's Glibc module does not import (it is declared in `<malloc.h>`).
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
        .map { unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self) }

    /// The peak resident set since the last ``resetPeak()`` (`VmHWM`).
    static func peakBytes() -> Int? {
        self.status("VmHWM")
    }

    /// The current resident set (`VmRSS`).
    static func residentBytes() -> Int? {
        self.status("VmRSS")
    }

    /// A `kB` field of `/proc/self/status`, in bytes.
    private static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("\(field):") {
            let digits = line.dropFirst(field.count + 1).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }
}
