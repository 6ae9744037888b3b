using System.Net;
using Transport.Quic.Connection;
using Transport.Quic.Tests.Connection;

namespace Transport.Quic.Tests.Api;

/// <summary>Helpers of the API tests: a listener on 127.0.0.1 and a client of it, each test bounded by a hard deadline.</summary>
internal static class ApiTest
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static ValueTask<QuicListener> Listen(Action<ConnectionOptions>? configureServer = null, Action<QuicListenerOptions>? configure = null, CancellationToken ct = default)
    {
        var options = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = ConnectionPair.ServerOptions(configureServer),
        };
        configure?.Invoke(options);
        return QuicListener.ListenAsync(options, ct);
    }

    public static QuicClientConnectionOptions Client(QuicListener listener, Action<ConnectionOptions>? configure = null) => new()
    {
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port),
        ConnectionOptions = ConnectionPair.ClientOptions(configure),
    };

    public static ValueTask<QuicConnection> Connect(QuicListener listener, CancellationToken ct, Action<ConnectionOptions>? configure = null) =>
        QuicConnection.ConnectAsync(Client(listener, configure), ct);

    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static async Task<byte[]> ReadToEnd(Stream stream, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms, ct);
        return ms.ToArray();
    }

    /// <summary>Server side of an echo: every inbound stream is copied back until FIN, then FIN.</summary>
    public static async Task EchoStreams(QuicConnection connection, CancellationToken ct)
    {
        var tasks = new List<Task>();
        try
        {
            while (true)
            {
                var stream = await connection.AcceptInboundStreamAsync(ct);
                tasks.Add(Task.Run(async () =>
                {
                    await using (stream)
                    {
                        await stream.CopyToAsync(stream, ct);
                        stream.CompleteWrites();
                    }
                }, ct));
            }
        }
        catch (QuicException)
        {
            // the client closed
        }
        await Task.WhenAll(tasks);
    }
}
