import GridCore
import GridTestKit
import Testing

/// The grid-scale simulation of lying providers (docs/TRUST.md, "Lying providers at grid scale"),
/// on small grids: it is deterministic, its baseline accepts about the liars' share of wrong
/// results, and verification brings that far down. The big runs' figures are in docs/TRUST.md,
/// from `gridsim`; they are not asserted here.
@Suite(.serialized) struct GridSimulationTests {
    /// 100 nodes, 2,000 tasks (800 for the determinism test: three runs of a debug build).
    static func small(_ model: ThreatModel = .individual, seed: UInt64 = 1, tasksPerNode: Int = 20) -> GridSimulation.Settings {
        var settings = GridSimulation.Settings()
        settings.nodes = 100
        settings.tasksPerNode = tasksPerNode
        settings.model = model
        settings.seed = seed
        return settings
    }

    @Test func theSameSeedGivesTheSameReportAndAnotherSeedAnother() async {
        var settings = Self.small(.camouflage, tasksPerNode: 8)
        settings.newcomerShare = 0.2
        settings.sybilIdentities = 2
        var reseeded = settings
        reseeded.seed = 2
        // Each run on a thread of its own, at once: two cores.
        async let first = GridSimulation(settings: settings).runOnOwnThread()
        async let again = GridSimulation(settings: settings).runOnOwnThread()
        async let other = GridSimulation(settings: reseeded).runOnOwnThread()
        let (a, b, c) = await (first, again, other)
        #expect(a == b)
        #expect(a.tasks + a.unplaced + a.failed == 800)
        #expect(a.newcomers > 0 && a.checks > 0 && a.liarConvictions > 0)
        #expect(c != a)
    }

    @Test func theBaselineAcceptsAboutTheLiarsShareOfWork() async {
        var settings = Self.small()
        settings.strategy = .baseline
        let report = await GridSimulation(settings: settings).runOnOwnThread()
        print("gridsim baseline, 100 nodes, 2000 tasks:\n\(report.text)")
        // Everyone also knows the 5 honest bootstrap nodes, so a little under 30 % of the known
        // providers lie.
        #expect(report.wrongShare > 0.22 && report.wrongShare < 0.36)
        #expect(abs(report.wrongShare - report.liarWorkShare) < 0.001, "every run is a delivery, and every liar's run is wrong")
        #expect(report.checks == 0 && report.liarConvictions == 0)
    }

    @Test func verificationCatchesIndividualLiars() async {
        var baselineSettings = Self.small()
        baselineSettings.strategy = .baseline
        let baseline = await GridSimulation(settings: baselineSettings).runOnOwnThread()
        let report = await GridSimulation(settings: Self.small()).runOnOwnThread()
        print("gridsim model A, 100 nodes, 2000 tasks:\n\(report.text)")
        // A small grid's run is mostly the transient while liars are found (20 tasks per node):
        // far below the baseline once they are, well below it over the whole run.
        #expect(report.steadyWrongShare < baseline.wrongShare / 10)
        #expect(report.wrongShare < baseline.wrongShare * 0.7)
        #expect(report.liarsConvicted >= report.liars * 9 / 10)
        #expect(report.honestFramed == 0, "individual liars never agree, so they never outvote an honest node")
    }

    /// A collective (model B) against requesters that serve the skill: their own run is the check
    /// and anchors every vote, so colluders that agree with each other neither get a wrong result
    /// through (results on probation are held) nor frame anyone.
    @Test func aCollectiveGetsNothingPastRequestersThatCheckThemselves() async {
        var settings = Self.small(.collective)
        settings.requestersRunSkill = true
        let report = await GridSimulation(settings: settings).runOnOwnThread()
        print("gridsim model B, requesters run the skill, 100 nodes, 2000 tasks:\n\(report.text)")
        #expect(report.wrongShare <= 0.01)
        #expect(report.honestFramed == 0)
        #expect(report.liarWorkShare < 0.05, "a liar is caught by each requester at its first try (the baseline gives them about 30 %)")
    }
}
