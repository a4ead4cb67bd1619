import BBFDev
import Foundation
import Testing

@Suite("bbf dev settings: flags > BBF_DEV_* > bbf-dev.json > defaults")
struct SettingsTests {
    let file = "/home/dev/app/bbf-dev.json"

    func resolve(
        flags: DevFlags = DevFlags(), environment: [String: String] = [:], json: String? = nil, cwd: String = "/home/dev/app/src"
    ) throws(DevError) -> DevSettings {
        try DevSettings.resolve(flags: flags, environment: environment, file: json.map { (file, $0) }, workingDirectory: cwd)
    }

    func problem(
        flags: DevFlags = DevFlags(), environment: [String: String] = [:], json: String? = nil
    ) -> String {
        do {
            _ = try resolve(flags: flags, environment: environment, json: json)
            return ""
        } catch {
            #expect(error.code == .configuration)
            return error.message
        }
    }

    @Test("With nothing given, the mission's defaults")
    func defaults() throws {
        let settings = try resolve(environment: ["HOME": "/home/dev"])
        #expect(settings.image == nil)
        #expect(settings.name == "babelfish-dev")
        #expect(settings.volume == "pgbf-devdata")
        #expect(settings.tdsPort == 1434)
        #expect(settings.postgresPort == 5432)
        #expect(settings.bindAddress == "127.0.0.1")
        #expect(settings.pull == .missing)
        #expect(settings.database == "master")
        #expect(settings.healthTimeout == 300)
        #expect(settings.savesDirectory == "/home/dev/.local/share/bbf/saves")
        #expect(settings.source(of: "port") == .builtIn)
    }

    @Test("A flag beats its variable, which beats the file, which beats the default")
    func precedence() throws {
        let json =
            #"{"image": "registry.example.com/team/db:latest", "port": 1500, "pgPort": 5500, "name": "from-file", "volume": "file-vol"}"#
        var flags = DevFlags()
        flags.port = 1600
        let settings = try resolve(
            flags: flags, environment: ["BBF_DEV_PORT": "1700", "BBF_DEV_PG_PORT": "5700", "BBF_DEV_NAME": "from-env"], json: json)
        #expect(settings.tdsPort == 1600)
        #expect(settings.source(of: "port") == .flag("--port"))
        #expect(settings.postgresPort == 5700)
        #expect(settings.source(of: "pgPort") == .environment("BBF_DEV_PG_PORT"))
        #expect(settings.name == "from-env")
        #expect(settings.volume == "file-vol")
        #expect(settings.source(of: "volume") == .file(path: file, key: "volume"))
        #expect(settings.image == "registry.example.com/team/db:latest")
        #expect(settings.configFile == file)
    }

    @Test("Container variables: the file's object, each --env over it")
    func containerVariables() throws {
        var flags = DevFlags()
        flags.environment = ["BABELFISH_ENABLED=false", "A=from-flag", "EMPTY="]
        let settings = try resolve(flags: flags, json: #"{"env": {"A": "from-file", "B": "kept"}}"#)
        #expect(settings.environment == ["A": "from-flag", "B": "kept", "BABELFISH_ENABLED": "false", "EMPTY": ""])
    }

    @Test("Paths in the file are relative to the file; paths in flags and variables to the working directory")
    func relativePaths() throws {
        let fromFile = try resolve(json: #"{"passwordFile": "secrets/dev.txt", "savesDir": "saves"}"#)
        #expect(fromFile.password == .file("/home/dev/app/secrets/dev.txt"))
        #expect(fromFile.savesDirectory == "/home/dev/app/saves")
        var flags = DevFlags()
        flags.passwordFile = "pw.txt"
        let fromFlag = try resolve(flags: flags, json: #"{"passwordFile": "secrets/dev.txt"}"#)
        #expect(fromFlag.password == .file("/home/dev/app/src/pw.txt"))
        let home = try resolve(environment: ["HOME": "/home/dev", "BBF_DEV_SAVES_DIR": "~/keep"])
        #expect(home.savesDirectory == "/home/dev/keep")
    }

    @Test("A password from a higher place wins over a password file from a lower one; the same place giving both is an error")
    func passwordForms() throws {
        let settings = try resolve(environment: ["BBF_DEV_PASSWORD": "Env-pw-1"], json: #"{"passwordFile": "dev.txt"}"#)
        #expect(settings.password == .value("Env-pw-1"))
        let message = problem(json: #"{"password": "a", "passwordFile": "dev.txt"}"#)
        #expect(message.contains("\"password\" in \(file)") && message.contains("\"passwordFile\" in \(file)"))
        #expect(message.contains("keep one"))
    }

    @Test("An unknown key is named, with the key it probably meant")
    func unknownKey() {
        let message = problem(json: #"{"image": "a/b:1", "pgport": 5433, "comment": "kept for people"}"#)
        #expect(message.contains("unknown key \"pgport\""))
        #expect(message.contains("did you mean \"pgPort\"?"))
        #expect(!message.contains("comment"))
    }

    @Test("Every bad value is reported at once, each named by where it came from")
    func badValues() {
        let json =
            #"{"image": "Registry/Team/DB:latest", "port": 70000, "pgPort": "5432", "volume": "-bad", "pull": "sometimes", "healthTimeout": true}"#
        var flags = DevFlags()
        flags.bindAddress = "localhost"
        flags.environment = ["NOEQUALS", "1BAD=x"]
        let message = problem(flags: flags, environment: ["BBF_DEV_NAME": "a b"], json: json)
        #expect(message.contains("problems:"))
        #expect(message.contains("\"image\" in \(file) \"Registry/Team/DB:latest\": not an image reference"))
        #expect(message.contains("\"port\" in \(file) 70000: give a port number from 1 to 65535"))
        #expect(message.contains("BBF_DEV_NAME \"a b\": not a container name"))
        #expect(message.contains("\"volume\" in \(file) \"-bad\": not a volume name"))
        #expect(message.contains("\"pull\" in \(file) \"sometimes\": give missing, always, never"))
        #expect(message.contains("\"healthTimeout\" in \(file) is true/false"))
        #expect(message.contains("--bind-address \"localhost\": not a numeric IP address"))
        #expect(message.contains("--env NOEQUALS: give KEY=VALUE"))
        #expect(message.contains("--env 1BAD: not a variable name"))
        // A string holding a number is accepted in the file, as in a variable.
        #expect(!message.contains("\"pgPort\""))
    }

    @Test("The same host port for TDS and PostgreSQL is refused")
    func samePorts() {
        var flags = DevFlags()
        flags.port = 5432
        #expect(problem(flags: flags).contains("both 5432"))
    }

    @Test("An unknown BBF_DEV_ variable is an error with a suggestion; the password is never repeated")
    func unknownVariable() {
        let message = problem(environment: ["BBF_DEV_IMGE": "x", "BBF_DEV_PASSWORD": "", "BBF_DEV_ENV": "A=B"])
        #expect(message.contains("unknown variable BBF_DEV_IMGE (did you mean BBF_DEV_IMAGE?)"))
        #expect(message.contains("BBF_DEV_PASSWORD (value not shown): the password is empty"))
        #expect(message.contains("BBF_DEV_ENV is not read"))
    }

    @Test("A file that is not a JSON object, or not JSON, is a named error")
    func badFiles() {
        #expect(problem(json: "[1, 2]").contains("is not a JSON object"))
        #expect(problem(json: "{\"image\": ").contains("is not valid JSON"))
    }

    @Test("The messages say every way to change a setting and where the value came from now")
    func howToChange() throws {
        var flags = DevFlags()
        flags.port = 1500
        let settings = try resolve(flags: flags, json: "{}")
        #expect(settings.howToChange("port") == "pass --port PORT, set BBF_DEV_PORT, \"port\" in \(file) (now from --port)")
        #expect(settings.howToChange("password") == "set BBF_DEV_PASSWORD, \"password\" in \(file)")
    }

    @Test("bbf-dev.json is found in the working directory or the nearest directory above")
    func locator() {
        let present: Set<String> = ["/home/dev/app/bbf-dev.json", "/bbf-dev.json"]
        #expect(DevConfigLocator.find(from: "/home/dev/app/src/web", exists: present.contains) == "/home/dev/app/bbf-dev.json")
        #expect(DevConfigLocator.find(from: "/home/dev/app", exists: present.contains) == "/home/dev/app/bbf-dev.json")
        #expect(DevConfigLocator.find(from: "/srv/other/", exists: present.contains) == "/bbf-dev.json")
        #expect(DevConfigLocator.find(from: "/srv/other", exists: { _ in false }) == nil)
    }

    @Test("The settings table has one entry per key, variable and flag")
    func table() {
        let entries = DevSettingsTable.entries
        #expect(Set(entries.map(\.key)).count == entries.count)
        #expect(Set(entries.compactMap(\.variable)).count == entries.compactMap(\.variable).count)
        #expect(Set(entries.compactMap(\.flag)).count == entries.compactMap(\.flag).count)
        #expect(entries.first { $0.key == "password" }?.flag == nil, "a password never goes on the command line")
    }
}
