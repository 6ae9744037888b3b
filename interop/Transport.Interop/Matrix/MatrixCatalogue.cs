namespace Transport.Interop.Matrix;

/// <summary>The runner's QUIC test cases in this harness's order of value, with their quick (CI) variants.</summary>
public static class MatrixCatalogue
{
    private const int KB = 1024, MB = 1024 * 1024;

    private static int[] Repeat(int count, int size) => Enumerable.Repeat(size, count).ToArray();

    private static string Loss(string kind, int rate) =>
        $"{kind} --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server={rate} --rate_to_client={rate} --burst_to_server=3 --burst_to_client=3";

    /// <summary>Every test case, in the order the matrix prints them.</summary>
    public static IReadOnlyList<MatrixTestCase> All { get; } =
    [
        new() { Name = "handshake", Abbreviation = "H", ServerTestCase = "handshake", ClientTestCase = "handshake", FileSizes = [1 * KB], InQuick = true },
        new() { Name = "transfer", Abbreviation = "DC", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [2 * MB, 3 * MB, 5 * MB], QuickFileSizes = [200 * KB, 300 * KB, 500 * KB], InQuick = true },
        new() { Name = "multiplexing", Abbreviation = "M", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = Repeat(1999, 32), QuickFileSizes = Repeat(250, 32), NeedsKeyLog = true, InQuick = true },
        new() { Name = "retry", Abbreviation = "S", ServerTestCase = "retry", ClientTestCase = "retry", FileSizes = [10 * KB], InQuick = true },
        new() { Name = "resumption", Abbreviation = "R", ServerTestCase = "resumption", ClientTestCase = "resumption", FileSizes = [5 * KB, 10 * KB], NeedsKeyLog = true, InQuick = true },
        new() { Name = "zerortt", Abbreviation = "Z", ServerTestCase = "zerortt", ClientTestCase = "zerortt", FileSizes = Repeat(40, 32), FileNameLength = 250, InQuick = true },
        new() { Name = "http3", Abbreviation = "3", ServerTestCase = "http3", ClientTestCase = "http3", FileSizes = [5 * KB, 10 * KB, 500 * KB], QuickFileSizes = [5 * KB, 10 * KB, 100 * KB], InQuick = true },
        new() { Name = "chacha20", Abbreviation = "C20", ServerTestCase = "chacha20", ClientTestCase = "chacha20", FileSizes = [3 * MB], QuickFileSizes = [300 * KB], InQuick = true },
        new() { Name = "keyupdate", Abbreviation = "U", ServerTestCase = "transfer", ClientTestCase = "keyupdate", FileSizes = [3 * MB], QuickFileSizes = [500 * KB], NeedsKeyLog = true, InQuick = true },
        new() { Name = "transferloss", Abbreviation = "L2", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [2 * MB], QuickFileSizes = [500 * KB], Scenario = Loss("drop-rate", 2), InQuick = true },
        new() { Name = "transfercorruption", Abbreviation = "C2", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [2 * MB], QuickFileSizes = [500 * KB], Scenario = Loss("corrupt-rate", 2), InQuick = true },
        new() { Name = "handshakeloss", Abbreviation = "L1", ServerTestCase = "multiconnect", ClientTestCase = "multiconnect", FileSizes = Repeat(50, 1 * KB), QuickFileSizes = Repeat(10, 1 * KB), Scenario = Loss("drop-rate", 30), Timeout = TimeSpan.FromSeconds(300) },
        new() { Name = "handshakecorruption", Abbreviation = "C1", ServerTestCase = "multiconnect", ClientTestCase = "multiconnect", FileSizes = Repeat(50, 1 * KB), QuickFileSizes = Repeat(10, 1 * KB), Scenario = Loss("corrupt-rate", 30), Timeout = TimeSpan.FromSeconds(300) },
        new() { Name = "amplificationlimit", Abbreviation = "A", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [5 * KB], ChainLength = 9, ExtraLongNames = 20, NeedsKeyLog = true, InQuick = true,
            Scenario = "droplist --delay=15ms --bandwidth=10Mbps --queue=25 --drops_to_server=2,3,4,5,6,7" },
        new() { Name = "longrtt", Abbreviation = "LR", ServerTestCase = "handshake", ClientTestCase = "handshake", FileSizes = [1 * KB], Scenario = "simple-p2p --delay=750ms --bandwidth=10Mbps --queue=25" },
        new() { Name = "blackhole", Abbreviation = "B", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [10 * MB], QuickFileSizes = [2 * MB],
            Scenario = "blackhole --delay=15ms --bandwidth=10Mbps --queue=25 --on=5s --off=2s" },
        new() { Name = "ipv6", Abbreviation = "6", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [5 * KB, 10 * KB], UrlHost = "server6" },
        new() { Name = "rebind-port", Abbreviation = "BP", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [10 * MB], NeedsKeyLog = true,
            Scenario = "rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=5s" },
        new() { Name = "rebind-addr", Abbreviation = "BA", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [10 * MB], NeedsKeyLog = true,
            Scenario = "rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=5s --rebind-addr" },
        new() { Name = "connectionmigration", Abbreviation = "CM", ServerTestCase = "connectionmigration", ClientTestCase = "transfer", FileSizes = [2 * MB], UrlHost = "server46", NeedsKeyLog = true,
            ForeignServerNeedsRedirect = true },
        new() { Name = "v2", Abbreviation = "V2", ServerTestCase = "v2", ClientTestCase = "v2", FileSizes = [1 * KB], InQuick = true },
        new() { Name = "ecn", Abbreviation = "E", ServerTestCase = "ecn", ClientTestCase = "ecn", FileSizes = [100 * KB], NeedsKeyLog = true },
        new() { Name = "goodput", Abbreviation = "G", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [10 * MB], Repetitions = 5 },
        new() { Name = "crosstraffic", Abbreviation = "C", ServerTestCase = "transfer", ClientTestCase = "transfer", FileSizes = [25 * MB], Repetitions = 5, Timeout = TimeSpan.FromSeconds(180),
            CrossTraffic = true },
    ];

    /// <summary>The test case named <paramref name="name"/> (runner name or letters, case-insensitive), or null.</summary>
    public static MatrixTestCase? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? All.FirstOrDefault(t => string.Equals(t.Abbreviation, name, StringComparison.OrdinalIgnoreCase));
}
