using Transport.Quic.Tests.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Api;

public class QuicApiFootprintTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Diag()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen();
        await using var endpoint = new QuicClientEndpoint();
        var clients = new List<QuicConnection>();
        var servers = new List<QuicConnection>();
        for (int i = 0; i < 9; i++)
        {
            clients.Add(await endpoint.ConnectAsync(ApiTest.Client(listener), cts.Token));
            servers.Add(await listener.AcceptConnectionAsync(cts.Token));
        }
        await Task.Delay(500);
        foreach (var (name, c) in new[] { ("server", servers[0]), ("client", clients[0]) })
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance) { c.Core, c.Pump };
            var (bytes, breakdown) = ObjectGraphSize.Describe(c, seen, depth: 3, threshold: 0);
            output.WriteLine(name + " api " + breakdown);
        }
        foreach (var (name, pump) in new[] { ("server", listener.Pump), ("client", clients[0].Pump) })
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            foreach (var c in servers) { seen.Add(c); seen.Add(c.Core); }
            foreach (var c in clients) { seen.Add(c); seen.Add(c.Core); }
            var (bytes, breakdown) = ObjectGraphSize.Describe(pump.Endpoint, seen, depth: 4, threshold: 100);
            output.WriteLine(name + " endpoint (9 conns) " + breakdown);
        }
        foreach (var c in clients) await c.DisposeAsync();
    }
}
