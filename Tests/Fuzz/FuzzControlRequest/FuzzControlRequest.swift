// libFuzzer entry for the control protocol: one request line from any local client.
import CFuzzDriver
import EventdControl
import Foundation

@main enum Main {
    static func main() { eventd_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0!, $1) } }
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let line = Data(bytes: data, count: size)
    let response: ControlResponse
    do throws(ControlError) {
        let (request, call) = try ControlServer.decode(line)
        precondition(call.command.name == request.cmd, "a call for another command than the request named")
        response = .success(.object(call.arguments.mapValues { .string($0) }))
    } catch {
        response = .failure(error)
    }
    // The answer goes back as one line, whatever the request held.
    guard let encoded = try? ControlCoding.encodeLine(response) else { preconditionFailure("an answer that cannot be encoded") }
    precondition(encoded.last == 0x0A && encoded.dropLast().firstIndex(of: 0x0A) == nil, "an answer that is not one line")
}
