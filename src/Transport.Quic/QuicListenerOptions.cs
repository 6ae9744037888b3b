using System.Net;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>Options of <see cref="QuicListener.ListenAsync"/>.</summary>
public sealed class QuicListenerOptions
{
    /// <summary>The local address and port to bind (port 0: any free port; see <see cref="QuicListener.LocalEndPoint"/>).</summary>
    public required IPEndPoint ListenEndPoint { get; set; }

    /// <summary>Options of each accepted connection; must carry <see cref="ConnectionOptions.ServerTls"/>.</summary>
    public required ConnectionOptions ServerConnectionOptions { get; set; }

    /// <summary>
    /// Connections whose handshake completed and that wait for <see cref="QuicListener.AcceptConnectionAsync"/>; beyond it
    /// new clients are refused (or sent a Retry when unvalidated). Default 512.
    /// </summary>
    public int AcceptBacklog { get; set; } = 512;

    /// <summary>
    /// When new clients get a Retry to prove their address (RFC 9000 §8.1.2): <see cref="RetryMode.WhenBusy"/> (default,
    /// from 64 handshakes in flight), <see cref="RetryMode.Always"/> or <see cref="RetryMode.Never"/>. A client presenting
    /// a token from NEW_TOKEN (<see cref="IssueNewTokens"/>) skips it.
    /// </summary>
    public RetryMode RetryMode { get; set; } = RetryMode.WhenBusy;

    /// <summary>
    /// Send each client an address validation token with NEW_TOKEN after the handshake (RFC 9000 §8.1.3); a returning
    /// client that passes it as <see cref="ConnectionOptions.InitialToken"/> counts as validated and gets no Retry.
    /// Sets <see cref="ConnectionOptions.NewTokenProvider"/> on <see cref="ServerConnectionOptions"/> unless it is set.
    /// </summary>
    public bool IssueNewTokens { get; set; }

    /// <summary>
    /// A second local address to bind as the server's preferred address (RFC 9000 §9.6): a specific IPv4 or IPv6
    /// address (not a wildcard unless <see cref="AdvertisedPreferredAddress"/> is set), port 0 for any free port (see
    /// <see cref="QuicListener.PreferredEndPoint"/>). Each connection advertises it in preferred_address with a
    /// connection ID of its own; clients that follow it move there once the handshake is confirmed and the listener
    /// then serves them from that socket. Sets <see cref="ConnectionOptions.PreferredAddressIPv4"/> or
    /// <see cref="ConnectionOptions.PreferredAddressIPv6"/> on <see cref="ServerConnectionOptions"/>. Null (default): none.
    /// </summary>
    public IPEndPoint? PreferredAddress { get; set; }

    /// <summary>
    /// The address to put in preferred_address when it differs from the bound <see cref="PreferredAddress"/> (a NAT or
    /// relay forwards it there); null (default): the bound address.
    /// </summary>
    public IPEndPoint? AdvertisedPreferredAddress { get; set; }

    /// <summary>
    /// Hand out connections (<see cref="QuicListener.AcceptConnectionAsync"/>) as soon as the server's first flight is out
    /// (ServerHello ... Finished), one round trip before the handshake completes, instead of at completion. The
    /// application can then read the client's 0-RTT stream data and answer at once: the answer leaves in 1-RTT packets
    /// right behind the first flight (0.5-RTT data, RFC 9001 §4.1.1), so a resuming client has its first response byte
    /// after one round trip instead of two. Default false.
    /// <para>
    /// Opt-in because of what such a connection may deliver before <see cref="QuicConnection.IsHandshakeComplete"/>:
    /// 0-RTT data is not protected against replay (RFC 8446 §8, RFC 9001 §9.2): an attacker can capture a client's first
    /// flight and send it again, and the server's anti-replay (<see cref="Tls.TlsServerOptions.ReplayCache"/>, ticket age)
    /// only narrows that. Act on early requests only when they are idempotent (safe to run twice); the server cannot yet
    /// know that the client holds the handshake keys (it has not seen its Finished); 0.5-RTT data goes to a client whose
    /// address is not yet validated (it counts against the 3x anti-amplification limit, RFC 9000 §8.1). Data of rejected
    /// 0-RTT never reaches the application (the client sends it again in 1-RTT after the handshake). A connection whose
    /// handshake then fails closes with <see cref="QuicError.HandshakeFailed"/>.
    /// </para>
    /// </summary>
    public bool AcceptBeforeHandshakeCompletes { get; set; }

    /// <summary>Received datagrams (RFC 9221) each accepted connection queues for <see cref="QuicConnection.ReceiveDatagramAsync"/> before dropping the oldest. Default 256.</summary>
    public int DatagramReceiveQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Opt-in, for latency: a stream read (or write) that a received datagram released resumes on the endpoint's
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
    /// Opt-in, for latency at the price of CPU (as Linux SO_BUSY_POLL): after each receive batch (and, with
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
