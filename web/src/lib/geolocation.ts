export interface Position {
  lat: number;
  lng: number;
  accuracyM: number;
}

/** Why a location could not be had, in words for the person holding the phone. */
export class LocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocationError';
  }
}

/**
 * The device's current position (asks for permission the first time). Rejects with a
 * LocationError that says what to do when it is refused, unavailable or too slow.
 */
export function currentPosition(timeoutMs = 15_000): Promise<Position> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) {
      reject(new LocationError('This browser cannot share a location.'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracyM: Math.round(p.coords.accuracy) }),
      (err) => {
        if (err.code === err.PERMISSION_DENIED) {
          reject(new LocationError('Location access is blocked. Allow it for this site in the browser settings and try again.'));
        } else if (err.code === err.TIMEOUT) {
          reject(new LocationError('Finding your location took too long. Try again, ideally near a window.'));
        } else {
          reject(new LocationError('Your location is not available right now. Try again.'));
        }
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}
