using System.Net;
using System.Threading.Channels;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>Accepts QUIC connections on one UDP socket (like System.Net.Quic's QuicListener).</summary>
public sealed class QuicListener : IAsyncDisposable
{
    private readonly EndpointPump _pump;
    private readonly Channel<QuicConnection> _accepted = Channel.CreateUnbounded<QuicConnection>();

    private QuicListener(QuicListenerOptions options)
    {
        _pump = new EndpointPump(new QuicEndpointOptions { ServerConnectionOptions = options.ServerConnectionOptions, Admission = options.Admission }, options.ListenEndPoint);
        _pump.AcceptHandler = OnAcceptable;
        LocalEndPoint = _pump.Endpoint.LocalEndPoint;
    }

    /// <summary>The bound local address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds the socket and starts accepting handshakes.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static ValueTask<QuicListener> ListenAsync(QuicListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint);
        ArgumentNullException.ThrowIfNull(options.ServerConnectionOptions);
        if (options.ServerConnectionOptions.ServerTls is null)
            throw new ArgumentException("ServerConnectionOptions.ServerTls is required to listen.", nameof(options));
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new QuicListener(options));
    }

    /// <summary>Waits for the next connection whose handshake completed.</summary>
    public ValueTask<QuicConnection> AcceptConnectionAsync(CancellationToken cancellationToken = default) =>
        _accepted.Reader.ReadAsync(cancellationToken);

    private void OnAcceptable(QuicEndpointCore core)
    {
        while (core.TryAccept(out var c))
        {
            var connection = new QuicConnection(_pump, c, ownsPump: false);
            _pump.Register(c, connection);
            connection.MarkConnected();
            _accepted.Writer.TryWrite(connection);
        }
    }

    /// <summary>Closes every connection (application code 0), waits briefly for them to end, and releases the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        await Task.Run(() =>
        {
            try { _pump.Endpoint.Shutdown(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
            _pump.Dispose();
        }).ConfigureAwait(false);
    }
}
