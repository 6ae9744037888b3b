namespace Transport.Reliable.Congestion;

/// <summary>Makes a congestion controller for each new path of each connection.</summary>
public interface ICongestionControllerFactory
{
    /// <summary>A new controller for a path whose maximum datagram size is <paramref name="maxDatagramSize"/> bytes.</summary>
    ICongestionController Create(int maxDatagramSize);
}
