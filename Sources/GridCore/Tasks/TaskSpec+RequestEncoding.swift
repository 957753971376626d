extension TaskSpec {
    /// The request's canonical bytes: everything an application asked for except the task ID, in a
    /// fixed order with lengths and fixed-width big-endian numbers, so equal requests give equal
    /// bytes and no two different ones do. An idempotent submit compares their digests.
    ///
    /// Layout (version 1): "grid.submit.v1", skill (u16 length + UTF-8), input (u64 length +
    /// bytes), replicas (u32), priority (u8), timeout in ms (i64), minimum trust (IEEE 754 bits,
    /// u64), cacheable (u8), retryApplicationErrors (u8), then, only when it is not the default
    /// `sample` (so requests from before it existed keep their bytes), the verify mode's name
    /// (u8 length + UTF-8).
    public var requestEncoding: [UInt8] {
        var bytes = Array("grid.submit.v1".utf8)
        let skill = Array(skill.name.utf8)
        bytes.reserveCapacity(bytes.count + skill.count + input.count + 40)
        Self.append(UInt16(truncatingIfNeeded: skill.count), to: &bytes)
        bytes += skill
        Self.append(UInt64(input.count), to: &bytes)
        bytes += input
        Self.append(UInt32(truncatingIfNeeded: replicas), to: &bytes)
        bytes.append(priority)
        Self.append(UInt64(bitPattern: timeout.milliseconds), to: &bytes)
        // -0 and 0 are the same trust.
        Self.append((minimumTrust == 0 ? 0 : minimumTrust).bitPattern, to: &bytes)
        bytes.append(cacheable ? 1 : 0)
        bytes.append(retryApplicationErrors ? 1 : 0)
        if verify != .sample {
            let mode = Array(verify.rawValue.utf8)
            bytes.append(UInt8(mode.count))
            bytes += mode
        }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}
