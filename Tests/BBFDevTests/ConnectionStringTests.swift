import BBFDev
import Testing

@Suite("Connection strings for ADO.NET, sqlcmd, JDBC and psql")
struct ConnectionStringTests {
    func target(password: String? = "Dev-pw-1", tls: Bool = false, tds: Int? = 1434) -> ConnectionTarget {
        ConnectionTarget(
            host: "localhost", tdsPort: tds, postgresPort: 5432, login: "app_login", database: "sales", loginPassword: password,
            postgresPassword: "Pg-pw-2", postgresDatabase: "babelfish_db", tdsEncryption: tls)
    }

    func text(_ lines: [ConnectionStrings.Line], _ label: String) -> String {
        lines.first { $0.label == label }?.text ?? ""
    }

    @Test("Without TLS on the server: Encrypt=False, sqlcmd -No, encrypt=false")
    func plain() {
        let lines = ConnectionStrings.render(target(), showPasswords: true)
        #expect(lines.map(\.label) == ["ADO.NET", "sqlcmd", "JDBC", "psql"])
        #expect(text(lines, "ADO.NET") == "Server=localhost,1434;Database=sales;User Id=app_login;Password=Dev-pw-1;Encrypt=False")
        #expect(text(lines, "sqlcmd") == "SQLCMDPASSWORD=Dev-pw-1 sqlcmd -S localhost,1434 -U app_login -d sales -No")
        #expect(text(lines, "JDBC") == "jdbc:sqlserver://localhost:1434;databaseName=sales;user=app_login;password=Dev-pw-1;encrypt=false")
        #expect(text(lines, "psql") == "PGPASSWORD=Pg-pw-2 psql 'host=localhost port=5432 user=postgres dbname=babelfish_db'")
    }

    @Test("With TLS: encrypted, trusting the self-signed certificate")
    func tls() {
        let lines = ConnectionStrings.render(target(tls: true), showPasswords: true)
        #expect(text(lines, "ADO.NET").hasSuffix(";Encrypt=True;TrustServerCertificate=True"))
        #expect(text(lines, "sqlcmd").hasSuffix(" -C"))
        #expect(text(lines, "JDBC").hasSuffix(";encrypt=true;trustServerCertificate=true"))
    }

    @Test("Hidden passwords: a placeholder, and sqlcmd and psql ask for it")
    func hidden() {
        let lines = ConnectionStrings.render(target(), showPasswords: false)
        for line in lines { #expect(!line.text.contains("Dev-pw-1") && !line.text.contains("Pg-pw-2"), "\(line.label)") }
        #expect(text(lines, "ADO.NET").contains("Password=<password>"))
        #expect(text(lines, "sqlcmd") == "sqlcmd -S localhost,1434 -U app_login -d sales -No")
        #expect(text(lines, "psql").hasPrefix("psql "))
        let unknown = ConnectionStrings.render(target(password: nil), showPasswords: true)
        #expect(text(unknown, "JDBC").contains("password=<password>"))
        #expect(!text(unknown, "sqlcmd").contains("SQLCMDPASSWORD"))
    }

    @Test("Passwords with separators and quotes are quoted by each format's rules")
    func quoting() {
        let lines = ConnectionStrings.render(target(password: "a;b'c"), showPasswords: true)
        #expect(text(lines, "ADO.NET").contains("Password=\"a;b'c\";"))
        #expect(text(lines, "JDBC").contains("password={a;b'c};"))
        #expect(text(lines, "sqlcmd").hasPrefix("SQLCMDPASSWORD='a;b'\\''c' sqlcmd"))
        let both = ConnectionStrings.render(target(password: "x\"y'z}"), showPasswords: true)
        #expect(text(both, "ADO.NET").contains("Password='x\"y''z}';"))
        #expect(text(both, "JDBC").contains("password={x\"y'z}}};"))
    }

    @Test("A plain PostgreSQL instance gets only psql")
    func plainPostgres() {
        let lines = ConnectionStrings.render(target(tds: nil), showPasswords: true)
        #expect(lines.map(\.label) == ["psql"])
    }
}
