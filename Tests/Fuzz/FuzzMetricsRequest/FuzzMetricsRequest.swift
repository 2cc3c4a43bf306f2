// libFuzzer entry for the metrics endpoint's request reader: whatever a local
// client sends, in the chunks recv() happens to return.
import CFuzzDriver
import EventdDaemon

@main enum Main {
    static func main() { eventd_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0!, $1) } }
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let input = UnsafeBufferPointer(start: data, count: size)
    // The first byte chooses the chunk size, so a head split anywhere is tried.
    let chunkSize = size > 0 ? Int(input[0]) % 64 + 1 : 1
    var request = MetricsRequest()
    var offset = size > 0 ? 1 : 0
    while request.wantsMore, offset < size {
        let end = min(offset + chunkSize, size)
        request.append(input[offset..<end])
        offset = end
    }
    precondition(request.bytes.count < MetricsRequest.limit + chunkSize, "read past the limit")
    let response = request.response { "# metrics\n" }
    precondition(response.hasPrefix(request.isScrape ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n"), "an answer without its status line")
}
