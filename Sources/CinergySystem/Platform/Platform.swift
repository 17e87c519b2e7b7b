// The one place that decides which C library the platform has (as swift-system's
// `Internals/Exports.swift` does): every other file imports `CinergySystem` and gets the C
// library with it, instead of repeating the `canImport` ladder.

#if canImport(Glibc)
@_exported public import Glibc
#elseif canImport(Musl)
@_exported public import Musl
#elseif canImport(Darwin)
@_exported public import Darwin
#else
#error("Unsupported platform: CinergySystem needs Glibc, Musl or Darwin")
#endif
