namespace Transport.Quic.Endpoint;

/// <summary>
/// Decides what a server does with a client Initial that would create a connection, and counts handshakes in flight
/// and connections waiting to be accepted (TCP's SYN queue and accept queue). The endpoint calls
/// <see cref="Decide(in AddressValidationTokenResult)"/> with the checked token, acts on the decision, and reports each
/// connection's progress (<see cref="OnHandshakeStarted"/>, <see cref="OnHandshakeCompleted"/>,
/// <see cref="OnHandshakeFailed"/>, <see cref="OnAccepted"/>, <see cref="OnUnacceptedConnectionClosed"/>).
/// </summary>
/// <remarks>
/// <para>The order of the rules:</para>
/// <list type="number">
/// <item>An authentic Retry token that is expired or for another address: <see cref="AdmissionDecision.CloseInvalidToken"/>
/// (RFC 9000 §8.1.2: "the server SHOULD immediately close ... with an INVALID_TOKEN error"; the client will not take
/// another Retry). Tokens that do not authenticate (another server's, an old key's, garbage) and NEW_TOKEN tokens that
/// fail count as no token (RFC 9000 §8.1.3: proceed as if the address were not validated).</item>
/// <item>Full (accept backlog full, or <see cref="HandshakeAdmissionOptions.MaxHandshakes"/> in flight): a client whose
/// address is not yet validated gets a Retry if Retry is enabled at all (it costs the server nothing and stops spoofed
/// floods from reaching the more expensive refusal); otherwise, or once validated, the
/// <see cref="HandshakeAdmissionOptions.OverloadResponse"/> (CONNECTION_REFUSED by default).</item>
/// <item>Not full, address not validated, and Retry due (<see cref="RetryMode.Always"/>, or <see cref="RetryMode.WhenBusy"/>
/// with at least <see cref="HandshakeAdmissionOptions.RetryThreshold"/> handshakes in flight): <see cref="AdmissionDecision.SendRetry"/>.</item>
/// <item>Otherwise <see cref="AdmissionDecision.Accept"/>.</item>
/// </list>
/// <para>Counters are updated atomically (the application accepts on its own thread); <see cref="Decide(in AddressValidationTokenResult)"/>
/// does not reserve a slot, so call <see cref="OnHandshakeStarted"/> when acting on Accept.</para>
/// </remarks>
public sealed class HandshakeAdmission
{
    private int _handshakes;
    private int _pendingAccepts;

    /// <summary>Admission with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public HandshakeAdmission(HandshakeAdmissionOptions? options = null)
    {
        Options = options ?? new HandshakeAdmissionOptions();
        Options.Validate();
    }

    /// <summary>The limits and policy.</summary>
    public HandshakeAdmissionOptions Options { get; }

    /// <summary>Handshakes started and not yet completed or failed.</summary>
    public int HandshakesInFlight => Volatile.Read(ref _handshakes);

    /// <summary>Connections whose handshake completed and that the application has not accepted yet.</summary>
    public int PendingAccepts => Volatile.Read(ref _pendingAccepts);

    /// <summary>True while no new connection can be admitted: the handshake limit is reached or the accept backlog is full.</summary>
    public bool IsFull => HandshakesInFlight >= Options.MaxHandshakes || PendingAccepts >= Options.AcceptBacklog;

    /// <summary>What to do with a client Initial that carried <paramref name="token"/> (default: no token).</summary>
    public AdmissionDecision Decide(in AddressValidationTokenResult token)
    {
        // RFC 9000 §8.1.2: an authentic Retry token that no longer holds.
        if (token.Kind == AddressValidationTokenKind.Retry && token.Status is AddressValidationTokenStatus.Expired or AddressValidationTokenStatus.WrongAddress)
            return AdmissionDecision.CloseInvalidToken;

        bool validated = token.IsValid;
        if (IsFull)
            return !validated && Options.RetryMode != RetryMode.Never ? AdmissionDecision.SendRetry : Options.OverloadResponse;

        if (!validated && (Options.RetryMode == RetryMode.Always
                           || (Options.RetryMode == RetryMode.WhenBusy && HandshakesInFlight >= Options.RetryThreshold)))
            return AdmissionDecision.SendRetry;
        return AdmissionDecision.Accept;
    }

    /// <summary>What to do with a client Initial without a token.</summary>
    public AdmissionDecision Decide() => Decide(default);

    /// <summary>A connection was created on <see cref="AdmissionDecision.Accept"/>.</summary>
    public void OnHandshakeStarted() => Interlocked.Increment(ref _handshakes);

    /// <summary>A handshake completed: the connection moves to the accept backlog.</summary>
    /// <exception cref="InvalidOperationException">No handshake was in flight.</exception>
    public void OnHandshakeCompleted()
    {
        Decrement(ref _handshakes, "No handshake is in flight.");
        Interlocked.Increment(ref _pendingAccepts);
    }

    /// <summary>A handshake failed or timed out: its slot is freed.</summary>
    /// <exception cref="InvalidOperationException">No handshake was in flight.</exception>
    public void OnHandshakeFailed() => Decrement(ref _handshakes, "No handshake is in flight.");

    /// <summary>The application accepted a connection from the backlog.</summary>
    /// <exception cref="InvalidOperationException">The backlog was empty.</exception>
    public void OnAccepted() => Decrement(ref _pendingAccepts, "No connection is waiting to be accepted.");

    /// <summary>A connection in the backlog closed before the application accepted it.</summary>
    /// <exception cref="InvalidOperationException">The backlog was empty.</exception>
    public void OnUnacceptedConnectionClosed() => Decrement(ref _pendingAccepts, "No connection is waiting to be accepted.");

    private static void Decrement(ref int counter, string message)
    {
        int current;
        do
        {
            current = Volatile.Read(ref counter);
            if (current == 0) throw new InvalidOperationException(message);
        }
        while (Interlocked.CompareExchange(ref counter, current - 1, current) != current);
    }
}
