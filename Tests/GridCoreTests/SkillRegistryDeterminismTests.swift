import GridCore
import Testing

/// What a peer declared deterministic in its SkillAnnouncement, as the registry keeps it.
@Suite struct SkillRegistryDeterminismTests {
    let t0 = ContinuousClock.now

    @Test func onlyAnnouncedSkillsCanBeDeterministic() {
        let entry = SkillRegistry.Entry(
            skills: [skill("echo"), skill("sha256"), skill("roll")], capacity: 4, load: 0,
            deterministic: [skill("echo"), skill("sha256"), skill("other")], lastSeen: t0)
        #expect(entry.deterministic == [skill("echo"), skill("sha256")], "a name not among the skills is ignored")
        #expect(SkillRegistry.Entry(skills: [skill("echo")], capacity: 1, load: 0, lastSeen: t0).deterministic.isEmpty, "none by default")
    }

    @Test(arguments: [
        // (announced skills, declared deterministic, asked, isDeterministic, declaration)
        (["echo", "roll"], ["echo"], "echo", true, true as Bool?),
        (["echo", "roll"], ["echo"], "roll", false, false as Bool?),
        (["echo", "roll"], ["echo"], "sha256", false, nil as Bool?),
        ([], [], "echo", false, nil as Bool?),
    ])
    func whatAPeerDeclared(_ skills: [String], _ deterministic: [String], _ asked: String, _ isDeterministic: Bool, _ declaration: Bool?) {
        var registry = SkillRegistry()
        registry.update(
            node(2),
            .init(skills: Set(skills.map(skill)), capacity: 4, load: 0, deterministic: Set(deterministic.map(skill)), lastSeen: t0))
        #expect(registry.isDeterministic(skill(asked), on: node(2)) == isDeterministic)
        #expect(registry.deterministicDeclaration(of: skill(asked), by: node(2)) == declaration)
        #expect(!registry.isDeterministic(skill(asked), on: node(3)), "an unknown peer declared nothing")
        #expect(registry.deterministicDeclaration(of: skill(asked), by: node(3)) == nil)
    }

    @Test func aNewAnnouncementReplacesTheDeclaration() {
        var registry = SkillRegistry()
        registry.update(node(2), .init(skills: [skill("echo")], capacity: 4, load: 0, deterministic: [skill("echo")], lastSeen: t0))
        registry.update(node(2), .init(skills: [skill("echo")], capacity: 4, load: 0, lastSeen: t0 + .seconds(1)))
        #expect(!registry.isDeterministic(skill("echo"), on: node(2)))
        #expect(registry.deterministicDeclaration(of: skill("echo"), by: node(2)) == false)
    }
}
