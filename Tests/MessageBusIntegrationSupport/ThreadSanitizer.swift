#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether this process runs under ThreadSanitizer (`swift test --sanitize=thread`, as `make tsan` runs the unit
/// suites), told by its runtime being linked in.
///
/// Tests that race many tasks to catch a rare interleaving do fewer rounds there: each round costs ten to thirty
/// times as much under the sanitizer, and it is the race detector, not the count of rounds, that finds a data race.
package enum ThreadSanitizer {
    /// Whether the sanitizer's runtime is in the process.
    package static let isActive: Bool = {
        #if canImport(Glibc)
        let everyLoadedObject = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        #else
        let everyLoadedObject = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #endif
        return dlsym(everyLoadedObject, "__tsan_init") != nil
    }()
}
