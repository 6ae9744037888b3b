using System.Net;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>
/// Owns one <see cref="QuicEndpoint"/> and a background thread that drains its events under the endpoint's lock and
/// wakes the API's waiters. Every API operation runs through <see cref="Invoke{T}"/>, which drains events too.
/// </summary>
internal sealed class EndpointPump : IDisposable
{
    private readonly Dictionary<QuicConnectionCore, QuicConnection> _connections = new();
    private readonly Dictionary<QuicConnectionCore, List<ConnectionEvent>> _beforeAccept = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public EndpointPump(QuicEndpointOptions options, IPEndPoint localEndPoint)
    {
        Endpoint = new QuicEndpoint(options, new UdpSocketOptions { LocalEndPoint = localEndPoint, DualMode = localEndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 });
        _thread = new Thread(Run) { IsBackground = true, Name = "quic-api-pump" };
        _thread.Start();
    }

    public QuicEndpoint Endpoint { get; }

    /// <summary>Called under the lock when a server connection completed its handshake (the listener accepts it at once, so no event is lost).</summary>
    public Action<QuicEndpointCore>? AcceptHandler { get; set; }

    public T Invoke<T>(Func<QuicEndpointCore, T> action) => Endpoint.Invoke(core =>
    {
        T result = action(core);
        Drain(core);
        return result;
    });

    /// <summary>Registers the API object of <paramref name="core"/> (under the lock).</summary>
    public void Register(QuicConnectionCore core, QuicConnection connection)
    {
        _connections[core] = connection;
        // Streams the client opened in 0-RTT (RFC 9000 §7.4.1) were announced before the handshake completed.
        if (_beforeAccept.Remove(core, out var early))
            foreach (var e in early) connection.OnEvent(e);
    }

    public void Unregister(QuicConnectionCore core) => _connections.Remove(core);

    private void Drain(QuicEndpointCore core)
    {
        core.DrainAllEvents();
        while (core.PollEvent(out var connection, out var e))
        {
            if (e.Kind == ConnectionEventKind.HandshakeCompleted && connection.IsServer) AcceptHandler?.Invoke(core);
            if (_connections.TryGetValue(connection, out var api)) api.OnEvent(e);
            else if (connection.IsServer && e.Kind is ConnectionEventKind.StreamOpened or ConnectionEventKind.StreamReset or ConnectionEventKind.StreamStopSending or ConnectionEventKind.DatagramReceived)
            {
                if (!_beforeAccept.TryGetValue(connection, out var list)) _beforeAccept[connection] = list = new();
                list.Add(e); // kept for Register, when the listener accepts the connection
            }
            else if (e.Kind == ConnectionEventKind.Terminated) _beforeAccept.Remove(connection);
        }
    }

    private void Run()
    {
        while (!_stopping)
        {
            Endpoint.WaitForActivity(TimeSpan.FromMilliseconds(20));
            if (_stopping) break;
            try { Invoke(static _ => 0); }
            catch (ObjectDisposedException) { break; }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        Endpoint.Dispose();
    }
}
