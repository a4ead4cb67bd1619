import Foundation

/// What the connection strings are made of.
public struct ConnectionTarget: Equatable, Sendable {
    /// The host name clients use ("localhost", or the remote engine's host).
    public var host: String
    /// nil: no TDS (a plain PostgreSQL image).
    public var tdsPort: Int?
    public var postgresPort: Int
    public var login: String
    public var database: String
    /// nil: unknown here (shown as a placeholder).
    public var loginPassword: String?
    public var postgresUser: String
    public var postgresPassword: String?
    public var postgresDatabase: String
    /// Whether the TDS endpoint offers TLS (its PRELOGIN answer).
    public var tdsEncryption: Bool

    public init(
        host: String, tdsPort: Int?, postgresPort: Int, login: String, database: String, loginPassword: String?,
        postgresUser: String = "postgres", postgresPassword: String?, postgresDatabase: String, tdsEncryption: Bool
    ) {
        self.host = host
        self.tdsPort = tdsPort
        self.postgresPort = postgresPort
        self.login = login
        self.database = database
        self.loginPassword = loginPassword
        self.postgresUser = postgresUser
        self.postgresPassword = postgresPassword
        self.postgresDatabase = postgresDatabase
        self.tdsEncryption = tdsEncryption
    }
}

/// Ready-to-paste connection strings: ADO.NET/SqlClient, sqlcmd, JDBC and
/// psql, each with its own quoting rules. Pure.
public enum ConnectionStrings {
    public struct Line: Equatable, Sendable {
        public var label: String
        public var text: String
    }

    public static let placeholder = "<password>"

    /// - Parameter showPasswords: false puts a placeholder in the strings
    ///   and leaves sqlcmd and psql to ask for the password.
    public static func render(_ target: ConnectionTarget, showPasswords: Bool) -> [Line] {
        var lines: [Line] = []
        let loginPassword = showPasswords ? target.loginPassword : nil
        if let port = target.tdsPort {
            let password = loginPassword ?? placeholder
            var ado = [
                ("Server", "\(target.host),\(port)"), ("Database", target.database), ("User Id", target.login), ("Password", password),
            ]
            ado += target.tdsEncryption ? [("Encrypt", "True"), ("TrustServerCertificate", "True")] : [("Encrypt", "False")]
            lines.append(Line(label: "ADO.NET", text: ado.map { "\($0.0)=\(adoValue($0.1))" }.joined(separator: ";")))

            var sqlcmd = "sqlcmd -S \(shell("\(target.host),\(port)")) -U \(shell(target.login)) -d \(shell(target.database))"
            sqlcmd += target.tdsEncryption ? " -C" : " -No"
            if let loginPassword { sqlcmd = "SQLCMDPASSWORD=\(shell(loginPassword)) " + sqlcmd }
            lines.append(Line(label: "sqlcmd", text: sqlcmd))

            var jdbc = "jdbc:sqlserver://\(target.host):\(port);databaseName=\(jdbcValue(target.database));user=\(jdbcValue(target.login))"
            jdbc += ";password=\(jdbcValue(password))"
            jdbc += target.tdsEncryption ? ";encrypt=true;trustServerCertificate=true" : ";encrypt=false"
            lines.append(Line(label: "JDBC", text: jdbc))
        }
        let keywords = [
            ("host", target.host), ("port", String(target.postgresPort)), ("user", target.postgresUser),
            ("dbname", target.postgresDatabase),
        ]
        var psql = "psql " + shell(keywords.map { "\($0.0)=\(libpqValue($0.1))" }.joined(separator: " "))
        if showPasswords, let password = target.postgresPassword { psql = "PGPASSWORD=\(shell(password)) " + psql }
        lines.append(Line(label: "psql", text: psql))
        return lines
    }

    /// ADO.NET: a value with ; ' " or outer spaces goes in quotes.
    static func adoValue(_ value: String) -> String {
        let needsQuotes =
            value.contains(";") || value.contains("'") || value.contains("\"") || value.first == " " || value.last == " "
            || value.contains("=")
        guard needsQuotes else { return value }
        if !value.contains("\"") { return "\"\(value)\"" }
        return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// JDBC: a value with ; { } goes in braces, a } doubled.
    static func jdbcValue(_ value: String) -> String {
        guard value.contains(";") || value.contains("{") || value.contains("}") || value.contains("=") else { return value }
        return "{" + value.replacingOccurrences(of: "}", with: "}}") + "}"
    }

    /// libpq keyword/value: quote empty values and values with spaces, quotes or backslashes.
    static func libpqValue(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// POSIX shell single quotes, only when needed.
    static func shell(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.,:/@%+=".contains($0)) }
        return plain ? value : "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
