#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A user account from the password database.
public struct UserAccount: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    public var home: String
}

public enum Privileges {
    public static var effectiveUserID: uid_t { geteuid() }
    public static var isRoot: Bool { geteuid() == 0 }

    /// Looks a user up by name.
    public static func account(named name: String) -> UserAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return UserAccount(
            name: String(cString: entry.pointee.pw_name), uid: entry.pointee.pw_uid,
            gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir))
    }

    /// Looks a user up by uid.
    public static func account(uid: uid_t) -> UserAccount? {
        guard let entry = getpwuid(uid) else { return nil }
        return UserAccount(
            name: String(cString: entry.pointee.pw_name), uid: entry.pointee.pw_uid,
            gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir))
    }

    /// Becomes `account` for good: supplementary groups, then gid, then uid.
    public static func drop(to account: UserAccount) throws {
        var groups: [gid_t] = [account.gid]
        if initgroups(account.name, account.gid) != 0 {
            if setgroups(1, &groups) != 0 { throw SystemError("setgroups", account.name) }
        }
        if setgid(account.gid) != 0 { throw SystemError("setgid", String(account.gid)) }
        if setuid(account.uid) != 0 { throw SystemError("setuid", String(account.uid)) }
        // Regaining root must now be impossible.
        if account.uid != 0 && setuid(0) == 0 {
            throw SystemError("drop privileges to", account.name, code: EPERM)
        }
    }
}
