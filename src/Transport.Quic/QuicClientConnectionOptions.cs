using System.Net;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Quic;

/// <summary>Options of <see cref="QuicConnection.ConnectAsync"/> and <see cref="QuicClientEndpoint.ConnectAsync"/>.</summary>
public sealed class QuicClientConnectionOptions
{
    /// <summary>The server's address.</summary>
    public required IPEndPoint RemoteEndPoint { get; set; }

    /// <summary>
    /// The connection's options; must carry <see cref="ConnectionOptions.ClientTls"/>. To resume, set
    /// <see cref="TlsClientOptions.SessionTicket"/> (from <see cref="QuicConnection.SessionTicket"/> of an earlier
    /// connection) and, for 0-RTT, <see cref="TlsClientOptions.EnableEarlyData"/>.
    /// </summary>
    public required ConnectionOptions ConnectionOptions { get; set; }

    /// <summary>
    /// The local address to bind for <see cref="QuicConnection.ConnectAsync"/> (null: any address of the remote's family,
    /// any port). Ignored by <see cref="QuicClientEndpoint.ConnectAsync"/>, whose socket is already bound.
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// Like TCP Fast Open: when the session ticket allows early data, <c>ConnectAsync</c> completes at once (0-RTT keys
    /// exist) instead of after the handshake, so the application can open streams and write (and send datagrams) in
    /// 0-RTT. Check <see cref="QuicConnection.EarlyDataAccepted"/>: refused stream data is sent again in 1-RTT by the
    /// connection itself, datagrams are not. Early data can be replayed by an attacker: send only idempotent requests.
    /// </summary>
    public bool AllowEarlyData { get; set; }

    /// <summary>Received datagrams (RFC 9221) queued for <see cref="QuicConnection.ReceiveDatagramAsync"/> before the oldest is dropped. Default 256.</summary>
    public int DatagramReceiveQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Opt-in, for latency (<see cref="QuicConnection.ConnectAsync"/>, whose endpoint is the connection's own; ignored by
    /// <see cref="QuicClientEndpoint.ConnectAsync"/>, whose constructor has this option for all its connections): a stream read (or write) that a received datagram released resumes on the endpoint's
    /// receive thread, right after that receive batch and outside the endpoint's lock, instead of on the thread pool
    /// (as .NET's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS does for sockets). It saves a thread-pool wake-up per
    /// read that waited (64-byte request/response on loopback: see the README). The risk: your code after the awaited
    /// read runs on the receive thread until its next await that does not complete at once, and while it runs no
    /// datagram of this endpoint is received. Code there must not block: a long computation delays every connection of
    /// the endpoint, and a synchronous wait for this endpoint's data (<c>Stream.Read</c>, <c>.Result</c>,
    /// <c>.GetAwaiter().GetResult()</c> on a read) never completes, because the thread that would receive it is the one
    /// waiting. What that code writes is sent when it yields back to the receive thread (all its writes of that moment
    /// in as few datagrams as they fit: pipelined requests coalesce), so a write followed by long work before the next
    /// await leaves later than it would on the thread pool. On a host whose CPUs sleep between requests (an idle virtual
    /// machine) one outstanding request can be slower inline than by default, since the receive thread blocks between
    /// datagrams where thread-pool workers spin; pipelined requests gain most. Default false.
    /// </summary>
    public bool InlineCompletions { get; set; }

    /// <summary>
    /// Opt-in, for <see cref="QuicConnection.ConnectAsync"/>, whose endpoint is the connection's own (ignored by
    /// <see cref="QuicClientEndpoint.ConnectAsync"/>, whose constructor has this option for all its connections); for latency at the price of CPU (as Linux SO_BUSY_POLL): after each receive batch (and, with
    /// <see cref="InlineCompletions"/>, after the reads it resumed ran and their writes were sent) the endpoint's receive
    /// thread keeps polling the socket without blocking for up to this long before it blocks in the kernel. A reply
    /// that arrives meanwhile is taken without a thread wake-up, which on a host whose idle CPUs halt (a virtual machine)
    /// costs tens of microseconds. It burns a whole CPU core while it spins: after every batch, for this long when
    /// nothing comes, so a server with a steady trickle of requests keeps a core busy. It never spins on an idle
    /// socket (only after a batch), nor while the endpoint has no connections, and stops at once when the endpoint is
    /// disposed. Independent of <see cref="InlineCompletions"/>, but that is where it pays: there the thread that spins
    /// is the one that resumes the waiting read (one request outstanding on a 2-vCPU VM: p50 110 -> 52 µs with 50 to
    /// 200 µs of spin). Without inline completions it measured worse there (p50 64 -> 84 µs): the spinning thread
    /// competes with the thread-pool workers that run the application (see the README). Zero (default): off; at most
    /// <see cref="Transport.Core.Udp.UdpReceiveLoop.MaxSpinTime"/> (10 ms); a few tens of microseconds (a loopback or
    /// LAN round trip) is the useful range.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than 10 ms.</exception>
    public TimeSpan ReceiveSpinTime
    {
        get => _receiveSpinTime;
        set
        {
            Transport.Core.Udp.UdpReceiveLoop.ValidateSpinTime(value, nameof(ReceiveSpinTime));
            _receiveSpinTime = value;
        }
    }

    private TimeSpan _receiveSpinTime;
}
