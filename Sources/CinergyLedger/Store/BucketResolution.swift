/// Which buckets a query reads.
public enum BucketResolution: Int64, Sendable {
    case minute = 60
    case hour = 3600

    var table: String {
        switch self {
        case .minute: "minute_bucket"
        case .hour: "hour_bucket"
        }
    }
}
