using System.Net;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>
/// The client side of the TCP-based contenders. <see cref="ConnectAsync"/> makes one TCP (+ TLS) connection; in
/// <see cref="TcpStreamMode.ConnectionPerStream"/> the first stream is that connection and every further stream a new
/// one, in <see cref="TcpStreamMode.Multiplexed"/> every stream is a logical flow of it.
/// </summary>
internal sealed class TcpFamilyConnection : ITourConnection
{
    private readonly EndPoint _server;
    private readonly Func<Socket, CancellationToken, Task<Stream>> _wrap;
    private readonly TcpStreamMode _mode;
    private readonly List<IAsyncDisposable> _owned = [];
    private ByteStreamTourStream? _first;
    private StreamMultiplexer? _mux;

    private TcpFamilyConnection(EndPoint server, Func<Socket, CancellationToken, Task<Stream>> wrap, TcpStreamMode mode)
    {
        _server = server;
        _wrap = wrap;
        _mode = mode;
    }

    public static async Task<ITourConnection> ConnectAsync(EndPoint server, Func<Socket, CancellationToken, Task<Stream>> wrap,
        TcpStreamMode mode, CancellationToken cancellationToken)
    {
        var connection = new TcpFamilyConnection(server, wrap, mode);
        (Socket socket, Stream stream) = await connection.DialAsync(cancellationToken).ConfigureAwait(false);
        if (mode == TcpStreamMode.Multiplexed)
        {
            connection._mux = new StreamMultiplexer(stream, isServer: false, onAccepted: null);
            connection._owned.Add(new ByteStreamTourStream(socket, Stream.Null, abortOnDispose: true));
            connection._owned.Add(connection._mux);
        }
        else
        {
            connection._first = new ByteStreamTourStream(socket, stream, abortOnDispose: true);
        }
        return connection;
    }

    private async Task<(Socket, Stream)> DialAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_server, cancellationToken).ConfigureAwait(false);
            return (socket, await _wrap(socket, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<ITourStream> OpenStreamAsync(CancellationToken cancellationToken)
    {
        if (_mux is not null) return _mux.OpenStream();
        ByteStreamTourStream? first = Interlocked.Exchange(ref _first, null);
        if (first is not null) return first;
        (Socket socket, Stream stream) = await DialAsync(cancellationToken).ConfigureAwait(false);
        return new ByteStreamTourStream(socket, stream, abortOnDispose: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_first is not null) await _first.DisposeAsync().ConfigureAwait(false);
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        }
    }
}
