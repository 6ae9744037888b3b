using System.Net.Security;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>
/// A whole TCP connection (plain, or under an <see cref="SslStream"/>) used as one tour stream. Half-close is a TCP
/// FIN (<see cref="Socket.Shutdown"/>) or a TLS close_notify (<see cref="SslStream.ShutdownAsync"/>).
/// </summary>
internal sealed class ByteStreamTourStream(Socket socket, Stream stream, bool abortOnDispose) : ITourStream
{
    private int _disposed;

    public Stream Stream => stream;

    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        if (stream is SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
        else socket.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (abortOnDispose)
        {
            // The client closes with RST (linger 0) so that thousands of handshakes a second leave no TIME_WAIT
            // sockets behind to exhaust the ephemeral ports; every measurement has read its answer before this.
            try { socket.LingerState = new LingerOption(true, 0); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
        try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        socket.Dispose();
    }
}
