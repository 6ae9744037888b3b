namespace Transport.Quic.Qlog;

/// <summary>Which endpoint a trace is written from: qlog's <c>vantage_point.type</c> (main schema -03).</summary>
public enum QlogVantagePoint
{
    /// <summary>The endpoint that opened the connection (<c>"client"</c>).</summary>
    Client,

    /// <summary>The endpoint that accepted the connection (<c>"server"</c>).</summary>
    Server,
}
