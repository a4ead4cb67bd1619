import Testing

@testable import TDSWire

@Suite("Token stream decoding")
struct TokenTests {
    @Test("Every DONE, DONEINPROC and DONEPROC is kept with its status bits, command and row count")
    func doneTokens() throws {
        var wire = Wire()
        wire.done(0xFF, status: 0x0011, command: 0xC3, count: 1)  // DONEINPROC, MORE|COUNT, INSERT
        wire.done(0xFF, status: 0x0011, command: 0xC3, count: 2)
        wire.u8(0x79)
        wire.u32(0)  // RETURNSTATUS 0
        wire.done(0xFE, status: 0x0001, command: 0xE0, count: 0)  // DONEPROC, MORE, EXECUTE
        wire.done(status: 0x0022, command: 0xC1, count: 0)  // DONE, ERROR|ATTN
        let tokens = try decode(wire)
        #expect(tokens.count == 5)
        guard case .done(let first) = tokens[0], case .done(let second) = tokens[1], case .returnStatus(let status) = tokens[2],
            case .done(let proc) = tokens[3], case .done(let last) = tokens[4]
        else {
            Issue.record("unexpected tokens \(tokens)")
            return
        }
        #expect(first.kind == .doneInProc && first.count == 1 && first.currentCommand == 0xC3 && !first.isFinal)
        #expect(second.count == 2)
        #expect(status == 0)
        #expect(proc.kind == .doneProc && proc.count == nil)
        #expect(last.isFinal && last.status.contains(.error) && last.status.contains(.attention))
    }

    @Test("ERROR and INFO carry number, state, class, message, server, procedure and line")
    func messages() throws {
        var wire = Wire()
        wire.message(0xAA, number: 50000, state: 1, severity: 16, text: "boom", server: "bbf", procedure: "p1", line: 7)
        wire.message(0xAB, number: 0, state: 1, severity: 0, text: "hello", server: "", procedure: "", line: 1)
        let tokens = try decode(wire)
        #expect(
            tokens == [
                .error(ServerMessage(number: 50000, state: 1, severity: 16, message: "boom", server: "bbf", procedure: "p1", line: 7)),
                .info(ServerMessage(number: 0, state: 1, severity: 0, message: "hello", server: "", procedure: "", line: 1)),
            ])
    }

    @Test("ENVCHANGE: database, language, packet size, collation, transaction descriptor")
    func envChanges() throws {
        var wire = Wire()
        func env(_ body: (inout Wire) -> Void) {
            var inner = Wire()
            body(&inner)
            wire.u8(0xE3)
            wire.u16(UInt16(inner.bytes.count))
            wire.raw(inner.bytes)
        }
        env {
            $0.u8(1); $0.bVarChar("db1"); $0.bVarChar("master")
        }
        env {
            $0.u8(2); $0.bVarChar("us_english"); $0.bVarChar("")
        }
        env {
            $0.u8(4); $0.bVarChar("8000"); $0.bVarChar("4096")
        }
        env {
            $0.u8(7); $0.u8(5); $0.raw(Wire.latin1); $0.u8(0)
        }
        env {
            $0.u8(8); $0.u8(8); $0.raw([1, 2, 0, 0, 0, 0, 0, 0]); $0.u8(0)
        }
        let tokens = try decode(wire)
        #expect(tokens[0] == .envChange(.database(new: "db1", old: "master")))
        #expect(tokens[1] == .envChange(.language(new: "us_english", old: "")))
        #expect(tokens[2] == .envChange(.packetSize(new: "8000", old: "4096")))
        #expect(tokens[3] == .envChange(.collation(new: Wire.latin1, old: [])))
        guard case .envChange(let begin) = tokens[4] else { return }
        #expect(begin.transactionDescriptor == 0x0201)
    }

    @Test("LOGINACK, FEATUREEXTACK, ORDER")
    func loginTokens() throws {
        var wire = Wire()
        var ack = Wire()
        ack.u8(1)
        ack.raw([0x74, 0x00, 0x00, 0x04])
        ack.bVarChar("Microsoft SQL Server")
        ack.raw([12, 0, 0x07, 0xD0])
        wire.u8(0xAD)
        wire.u16(UInt16(ack.bytes.count))
        wire.raw(ack.bytes)
        wire.u8(0xAE)
        wire.u8(0x0A)
        wire.u32(1)
        wire.u8(1)
        wire.u8(0xFF)
        wire.u8(0xA9)
        wire.u16(4)
        wire.u16(2)
        wire.u16(1)
        let tokens = try decode(wire)
        #expect(
            tokens[0]
                == .loginAck(
                    LoginAck(interface: 1, tdsVersion: 0x7400_0004, programName: "Microsoft SQL Server", programVersion: [12, 0, 7, 208])))
        #expect(tokens[1] == .featureExtAck([FeatureAck(feature: 0x0A, data: [1])]))
        #expect(tokens[2] == .order([2, 1]))
    }

    @Test("A truncated token throws instead of trapping; an unknown token is named")
    func badInput() throws {
        var wire = Wire()
        wire.done(status: 0, command: 0, count: 0)
        #expect(throws: TDSWireError.self) { try decode(Wire(bytes: Array(wire.bytes.dropLast(3)))) }
        #expect {
            try decode(Wire(bytes: [0x42]))
        } throws: { ($0 as? TDSWireError)?.code == .unsupported }
    }
}
