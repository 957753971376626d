import GridCore

/// Node IDs for pure tests: 32 bytes of `n`.
func node(_ n: UInt8) -> NodeID {
    try! NodeID(bytes: [UInt8](repeating: n, count: 32))
}

func skill(_ name: String) -> SkillID {
    try! SkillID(name)
}
