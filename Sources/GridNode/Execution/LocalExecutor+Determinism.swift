import GridCore

/// Which skills this node runs deterministically: their output depends only on the input, so this
/// node announces them as such (`SkillAnnouncement.deterministic_skills`), and their results may be
/// compared with other nodes' (replicas, spot-checks, shared evidence of a wrong result).
extension LocalExecutor {
    /// Whether `skill` is deterministic here: a skill of the node's own that says so
    /// (``Skill/isDeterministic``: the built-ins, command skills configured with
    /// `"deterministic": true`), or a served skill whose every accepting provider served it with
    /// `deterministic: true`. False for a skill this node does not serve.
    func isDeterministic(_ skill: SkillID) -> Bool {
        if let own = skills[skill] { return own.isDeterministic }
        return state.withLockedValue { $0.places[.served(skill)]?.isDeterministic ?? false }
    }

    /// Every skill this node serves now that is deterministic here.
    var deterministicSkills: Set<SkillID> {
        state.withLockedValue { state in
            var names = Set(skills.filter { $0.value.isDeterministic }.keys)
            for (domain, places) in state.places {
                if case .served(let skill) = domain, places.isDeterministic { names.insert(skill) }
            }
            return names
        }
    }
}

extension LocalExecutor.Places {
    /// A served skill is deterministic when it is served, and every provider taking new tasks
    /// declared it so: one that did not could answer any of its tasks.
    var isDeterministic: Bool {
        guard let pool, pool.isServed else { return false }
        return pool.providers.allSatisfy { !$0.value.accepting || deterministic.contains($0.key) }
    }
}
