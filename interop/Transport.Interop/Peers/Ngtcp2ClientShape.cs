namespace Transport.Interop.Peers;

/// <summary>How the client side of an interop test case splits its requests into gtlsclient runs.</summary>
public enum Ngtcp2ClientShape
{
    /// <summary>The test case is not supported (the runner's exit code 127).</summary>
    Unsupported,

    /// <summary>One run: one connection, all URLs in parallel.</summary>
    OneConnection,

    /// <summary>
    /// Two runs sharing a session file and a transport-parameter file: the first URL, then the rest (resumption,
    /// zerortt).
    /// </summary>
    FirstThenRest,

    /// <summary>One run per URL, one after another (multiconnect).</summary>
    OnePerUrl,
}
