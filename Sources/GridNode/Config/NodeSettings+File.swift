import Foundation
import GridCore

extension NodeSettings {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
            if key.stringValue == "allowFaults" {
                throw GridError(
                    .invalidSetting,
                    "allowFaults cannot be set in config.json: fault injection is for test grids only; give gridnode run --allow-faults for one run (gridnode cluster up does), and remove allowFaults from the file")
            }
            throw GridError(
                .invalidSetting,
                "unknown setting '\(key.stringValue)'; known settings: \(CodingKeys.allCases.map(\.stringValue).joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        func load<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let decoded = try c.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        try load(.listen, into: &listen)
        try load(.networkID, into: &networkID)
        bootstrapFile = try c.decodeIfPresent(String.self, forKey: .bootstrapFile)
        try load(.skills, into: &skills)
        skillCommands = try Self.decodeSkillCommands(c)
        try load(.maxConcurrentTasks, into: &maxConcurrentTasks)
        try load(.maxQueuedTasks, into: &maxQueuedTasks)
        try load(.defaultTaskTimeoutMs, into: &defaultTaskTimeoutMs)
        try load(.maxTaskTimeoutMs, into: &maxTaskTimeoutMs)
        try load(.handshakeTimeoutMs, into: &handshakeTimeoutMs)
        try load(.maxPendingHandshakes, into: &maxPendingHandshakes)
        try load(.maxLocalConnections, into: &maxLocalConnections)
        try load(.maxMessagesPerSecond, into: &maxMessagesPerSecond)
        try load(.replayWindowMs, into: &replayWindowMs)
        try load(.replayCacheEntries, into: &replayCacheEntries)
        try load(.maxInboundConnections, into: &maxInboundConnections)
        try load(.maxConnections, into: &maxConnections)
        try load(.maxConnectionsPerIP, into: &maxConnectionsPerIP)
        try load(.connectionHighWatermark, into: &connectionHighWatermark)
        try load(.targetOutboundConnections, into: &targetOutboundConnections)
        try load(.peerExchangeIntervalMs, into: &peerExchangeIntervalMs)
        try load(.peerRecordMaxAgeMs, into: &peerRecordMaxAgeMs)
        try load(.pingIntervalMs, into: &pingIntervalMs)
        try load(.pingTimeoutMs, into: &pingTimeoutMs)
        try load(.suspectAfterMissedPings, into: &suspectAfterMissedPings)
        try load(.suspicionTimeoutMs, into: &suspicionTimeoutMs)
        try load(.connectTimeoutMs, into: &connectTimeoutMs)
        try load(.dialBackoffBaseMs, into: &dialBackoffBaseMs)
        try load(.dialBackoffMaxMs, into: &dialBackoffMaxMs)
        try load(.maxFrameBytes, into: &maxFrameBytes)
        try load(.maxTaskBytes, into: &maxTaskBytes)
        try load(.logLevel, into: &logLevel)
        try load(.announceIntervalMs, into: &announceIntervalMs)
        try load(.skillExpiryMs, into: &skillExpiryMs)
        try load(.routingWeightTrust, into: &routingWeightTrust)
        try load(.routingWeightRating, into: &routingWeightRating)
        try load(.routingWeightLatency, into: &routingWeightLatency)
        try load(.routingWeightLoad, into: &routingWeightLoad)
        try load(.routingWeightRecency, into: &routingWeightRecency)
        try load(.trustedPeers, into: &trustedPeers)
        try load(.trustIntervalMs, into: &trustIntervalMs)
        try load(.trustPreTrustWeight, into: &trustPreTrustWeight)
        try load(.experienceHalfLifeMs, into: &experienceHalfLifeMs)
        try load(.spotCheckFraction, into: &spotCheckFraction)
        try load(.verifyProbation, into: &verifyProbation)
        try load(.verifyTieBreakers, into: &verifyTieBreakers)
        try load(.explorationShare, into: &explorationShare)
        try load(.maxRetries, into: &maxRetries)
        try load(.retryBackoffBaseMs, into: &retryBackoffBaseMs)
        try load(.retryBackoffMaxMs, into: &retryBackoffMaxMs)
        try load(.ackTimeoutMs, into: &ackTimeoutMs)
        try load(.circuitFailureThreshold, into: &circuitFailureThreshold)
        try load(.circuitCooldownMs, into: &circuitCooldownMs)
        try load(.queueBoundCritical, into: &queueBoundCritical)
        try load(.queueBoundHigh, into: &queueBoundHigh)
        try load(.queueBoundNormal, into: &queueBoundNormal)
        try load(.queueBoundLow, into: &queueBoundLow)
        try load(.queueAgingIntervalMs, into: &queueAgingIntervalMs)
        try load(.admissionMinTrust, into: &admissionMinTrust)
        try load(.requesterRatePerSecond, into: &requesterRatePerSecond)
        try load(.resultCacheWindowMs, into: &resultCacheWindowMs)
        metricsListen = try c.decodeIfPresent(HostPort.self, forKey: .metricsListen)
        try load(.metricsSnapshotIntervalMs, into: &metricsSnapshotIntervalMs)
        try load(.recoveryWaitMs, into: &recoveryWaitMs)
        try load(.drainTimeoutMs, into: &drainTimeoutMs)
        try load(.reputationSaveIntervalMs, into: &reputationSaveIntervalMs)
        try load(.evidencePerPeerPerMinute, into: &evidencePerPeerPerMinute)
        try load(.evidenceMemory, into: &evidenceMemory)
        try load(.banThreshold, into: &banThreshold)
        try load(.misbehaviourHalfLifeMs, into: &misbehaviourHalfLifeMs)
        try load(.firstBanMs, into: &firstBanMs)
        try load(.maxBanMs, into: &maxBanMs)
    }

    /// Reads and validates `path`. A missing file means every default.
    public static func load(from path: String) throws(GridError) -> NodeSettings {
        guard FileManager.default.fileExists(atPath: path) else { return NodeSettings() }
        let bytes = try TextFile.read(path, what: "the settings file", code: .unreadableConfig)
        let settings = try settings(fromJSON: bytes, path: path)
        try settings.validate()
        return settings
    }

    /// The settings in `bytes`, the contents of the settings file at `path` (named in errors).
    static func settings(fromJSON bytes: [UInt8], path: String) throws(GridError) -> NodeSettings {
        if let problem = JSONText.problem(in: bytes) {
            throw GridError(.unreadableConfig, "\(path): \(problem.message); fix it, or delete the file to use the defaults")
        }
        if let null = JSONText.nullPaths(in: bytes).first {
            throw GridError(.unreadableConfig, "\(path): setting '\(null)' is null; remove the key to use its default")
        }
        do {
            return try JSONDecoder().decode(NodeSettings.self, from: Data(bytes))
        } catch let error as GridError {
            throw GridError(error.code, "\(path): \(error.message)")
        } catch {
            throw GridError(.unreadableConfig, "\(path): \(DecodingErrorText.describe(error, in: bytes))")
        }
    }

    /// The settings as the pretty-printed JSON `gridnode init` writes and `gridnode config show` prints.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)  // plain values: encoding cannot fail
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
