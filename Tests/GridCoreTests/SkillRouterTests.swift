import GridCore
import Testing

@Suite struct SkillRouterTests {
    let local = node(1)

    func registry(_ entries: [(NodeID, [String], capacity: Int, load: Int)]) -> SkillRegistry {
        var registry = SkillRegistry()
        for (peer, skills, capacity, load) in entries {
            registry.update(peer, .init(skills: Set(skills.map(skill)), capacity: capacity, load: load))
        }
        return registry
    }

    @Test func localNodeComesFirstWhenItHasTheSkill() {
        let peers = registry([(node(2), ["sha256"], capacity: 4, load: 0)])
        let ranked = SkillRouter().rank(skill: skill("sha256"), localNode: local, localSkills: [skill("sha256")], registry: peers)
        #expect(ranked == [local, node(2)])
    }

    @Test func peersOnlyWhenLocalLacksTheSkill() {
        let peers = registry([(node(2), ["sha256"], capacity: 4, load: 0), (node(3), ["echo"], capacity: 4, load: 0)])
        let ranked = SkillRouter().rank(skill: skill("sha256"), localNode: local, localSkills: [skill("echo")], registry: peers)
        #expect(ranked == [node(2)])
    }

    @Test func lessLoadedPeersFirstThenNodeID() {
        let peers = registry([
            (node(5), ["x"], capacity: 4, load: 3),
            (node(4), ["x"], capacity: 4, load: 1),
            (node(3), ["x"], capacity: 2, load: 1),
            (node(2), ["x"], capacity: 0, load: 0),
        ])
        let ranked = SkillRouter().rank(skill: skill("x"), localNode: local, localSkills: [], registry: peers)
        #expect(ranked == [node(4), node(3), node(5), node(2)])
    }

    @Test func nobodyHasTheSkill() {
        let ranked = SkillRouter().rank(skill: skill("x"), localNode: local, localSkills: [skill("y")], registry: SkillRegistry())
        #expect(ranked.isEmpty)
    }

    @Test func removedPeerIsNoLongerAProvider() {
        var peers = registry([(node(2), ["x"], capacity: 1, load: 0)])
        peers.remove(node(2))
        #expect(peers.providers(of: skill("x")).isEmpty)
        #expect(peers.skills(of: node(2)).isEmpty)
    }
}
