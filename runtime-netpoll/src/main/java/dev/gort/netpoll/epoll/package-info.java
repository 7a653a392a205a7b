/** The Linux epoll poller: edge-triggered, one epoll_ctl per descriptor, an eventfd to wake it. */
package dev.gort.netpoll.epoll;
