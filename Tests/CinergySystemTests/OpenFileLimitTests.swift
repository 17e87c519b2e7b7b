import CinergySystem
import Testing

@Suite("Open-file limit")
struct OpenFileLimitTests {
    @Test("raise() lifts the soft limit to the hard one (capped), and a second call changes nothing")
    func raise() {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let expected = UInt64(min(limit.rlim_max, rlim_t(1 << 20)))

        let first = OpenFileLimit.raise()
        #expect(first.before == UInt64(limit.rlim_cur))
        #expect(first.after == max(expected, first.before))
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #expect(UInt64(limit.rlim_cur) == first.after)

        let second = OpenFileLimit.raise()
        #expect(second.before == first.after && second.after == first.after)
    }
}
