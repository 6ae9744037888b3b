using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Transport.Bench.Remote;
using Transport.Bench.Tour;

namespace Transport.Bench.Tests;

/// <summary>A <see cref="PerfServer"/> on 127.0.0.1 (a free port) with a fresh certificate, recording its log lines and connection summaries.</summary>
internal sealed class RemoteServerScope : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Channel<PerfConnectionSummary> _ended = Channel.CreateUnbounded<PerfConnectionSummary>();

    private RemoteServerScope(PerfServer server, X509Certificate2 certificate)
    {
        Server = server;
        Certificate = certificate;
        Pin = SHA256.HashData(certificate.RawData);
        server.ConnectionEnded += summary => _ended.Writer.TryWrite(summary);
    }

    public PerfServer Server { get; }

    public X509Certificate2 Certificate { get; }

    public byte[] Pin { get; }

    public ConcurrentQueue<string> AllLines { get; } = new();

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Server.QuicEndPoint.Port);

    public static async Task<RemoteServerScope> StartAsync(CancellationToken cancellationToken)
    {
        X509Certificate2 certificate = TourTls.CreateCertificate();
        RemoteServerScope? scope = null;
        var pending = new ConcurrentQueue<string>();
        void Log(string line)
        {
            if (scope is null) { pending.Enqueue(line); return; }
            scope.AllLines.Enqueue(line);
            scope._lines.Writer.TryWrite(line);
        }
        var options = new RemoteServerOptions { Port = 0, Bind = IPAddress.Loopback };
        PerfServer server = await PerfServer.StartAsync(options, certificate, Log, cancellationToken);
        scope = new RemoteServerScope(server, certificate);
        while (pending.TryDequeue(out string? line)) Log(line);
        return scope;
    }

    public RemoteClientOptions ClientOptions(IReadOnlyList<RemoteProtocol> protocols, IReadOnlyList<RemoteTest> tests, long? bytes, double seconds, int streams = 1) => new()
    {
        Host = "localhost",
        Port = EndPoint.Port,
        Protocols = protocols,
        Tests = tests,
        Bytes = bytes,
        Time = TimeSpan.FromSeconds(seconds),
        Streams = streams,
        Pin = Pin,
    };

    public IPerfClientTransport Transport(RemoteProtocol protocol) =>
        RemoteClient.CreateTransport(protocol, ClientOptions([protocol], [RemoteTest.Upload], 1, 1), EndPoint, _ => { });

    /// <summary>Waits for a log line containing <paramref name="text"/> (lines already seen count too).</summary>
    public async Task<string> WaitForLineAsync(string text, CancellationToken cancellationToken)
    {
        foreach (string seen in AllLines) if (seen.Contains(text, StringComparison.Ordinal)) return seen;
        while (true)
        {
            string line = await _lines.Reader.ReadAsync(cancellationToken);
            if (line.Contains(text, StringComparison.Ordinal)) return line;
        }
    }

    /// <summary>Waits for the next ended connection of <paramref name="kind"/>.</summary>
    public async Task<PerfConnectionSummary> WaitForEndAsync(string kind, CancellationToken cancellationToken)
    {
        while (true)
        {
            PerfConnectionSummary summary = await _ended.Reader.ReadAsync(cancellationToken);
            if (summary.Kind == kind) return summary;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Certificate.Dispose();
    }
}
