public import Instrumentation
import ServiceContextModule
import Synchronization

/// A minimal instrument that propagates one value through message headers, so the suite can prove that trace
/// context survives the trip on every backend without a tracing backend installed.
///
/// Call ``bootstrap()`` once per process before running the suite (it calls `InstrumentationSystem.bootstrap`,
/// which a process may do only once; skip it when your process bootstraps a real tracer, and the trace case will
/// say so).
public struct ConformanceTraceInstrument: Instrument {
    /// The header the instrument writes.
    public static let headerName = "x-conformance-trace"

    /// The context key whose value travels.
    public enum TraceKey: ServiceContextKey {
        /// A trace identifier.
        public typealias Value = String
    }

    private static let isBootstrapped = Mutex(false)

    /// Bootstraps the instrument for the process; later calls do nothing.
    public static func bootstrap() {
        let first = self.isBootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first { InstrumentationSystem.bootstrap(ConformanceTraceInstrument()) }
    }

    /// Reads the header into the context.
    public func extract<Carrier, Extract>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract: Extractor, Extract.Carrier == Carrier {
        if let value = extractor.extract(key: Self.headerName, from: carrier) {
            context[TraceKey.self] = value
        }
    }

    /// Writes the context's value into the header.
    public func inject<Carrier, Inject>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject: Injector, Inject.Carrier == Carrier {
        if let value = context[TraceKey.self] {
            injector.inject(value, forKey: Self.headerName, into: &carrier)
        }
    }
}
