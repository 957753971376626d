/// The rule that no field of a `Frame` or of the `SignedEnvelope` in it appears twice, and that a
/// `Frame` holds at most one of its `body` fields (Protocol/README.md, "Framing"). Protobuf lets
/// the last of two wins, so without it a frame could carry two envelopes of which the first would
/// vanish uncounted. Reads the wire format's tags and lengths only; the decoder does the rest.
enum SingleFieldRule {
    /// Why `bytes` (a serialized `Frame`) breaks the rule, or nil when it does not, or when its
    /// structure is broken anyway (the decoder refuses it then).
    static func violation(inFrame bytes: [UInt8]) -> String? {
        guard let fields = topLevelFields(bytes, from: 0, to: bytes.count) else { return nil }
        if let repeated = firstRepeated(fields.map(\.number)) {
            return "field \(repeated) of the Frame appears more than once"
        }
        let bodies = fields.filter { (1...9).contains($0.number) }
        if bodies.count > 1 {
            return "the Frame holds \(bodies.count) of its body fields (\(bodies.map { "\($0.number)" }.joined(separator: ", "))); one frame carries one"
        }
        if let envelope = fields.first(where: { $0.number == 3 && $0.wireType == 2 }),
            let inner = topLevelFields(bytes, from: envelope.value.lowerBound, to: envelope.value.upperBound),
            let repeated = firstRepeated(inner.map(\.number))
        {
            return "field \(repeated) of the SignedEnvelope appears more than once"
        }
        return nil
    }

    private struct Field {
        var number: Int
        var wireType: UInt8
        /// Where a length-delimited field's content lies.
        var value: Range<Int>
    }

    private static func firstRepeated(_ numbers: [Int]) -> Int? {
        var seen: Set<Int> = []
        return numbers.first { !seen.insert($0).inserted }
    }

    /// The fields of the message in `bytes[start..<end]`, or nil when it is not well formed.
    private static func topLevelFields(_ bytes: [UInt8], from start: Int, to end: Int) -> [Field]? {
        var fields: [Field] = []
        var index = start
        while index < end {
            guard let tag = varint(bytes, &index, end), tag >> 3 > 0, tag >> 3 <= 536_870_911 else { return nil }
            let wireType = UInt8(tag & 7)
            let valueStart: Int
            switch wireType {
            case 0:
                guard varint(bytes, &index, end) != nil else { return nil }
                valueStart = index
            case 1:
                valueStart = index
                index += 8
            case 5:
                valueStart = index
                index += 4
            case 2:
                guard let length = varint(bytes, &index, end), length <= UInt64(end - index) else { return nil }
                valueStart = index
                index += Int(length)
            default:
                return nil  // groups (3, 4) and unknown wire types: the decoder decides
            }
            guard index <= end else { return nil }
            fields.append(Field(number: Int(tag >> 3), wireType: wireType, value: valueStart..<index))
        }
        return fields
    }

    private static func varint(_ bytes: [UInt8], _ index: inout Int, _ end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
