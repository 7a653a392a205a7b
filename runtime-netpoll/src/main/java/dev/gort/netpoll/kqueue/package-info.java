/** The kqueue poller for macOS and the BSDs: EV_CLEAR filters, an EVFILT_USER event to wake it. */
package dev.gort.netpoll.kqueue;
