"""VNPost mock: OAuth2 client credentials, postOrder/cancelOrder/getOrderTracking on a simulated clock.

Run alone: `lgsp mock vnpost`. With curl:

    V=localhost:8104; JSON='content-type: application/json'
    curl -s -u HPG_LGSP:hpg-lgsp-vnpost-client-secret $V/oauth/token -d grant_type=client_credentials
    curl -s $V/api/v1/postOrder -H "authorization: Bearer $TOKEN" -H "$JSON" -d @order.json
        → {"Status":"00","Message":"Tạo đơn hàng thành công","ItemCode":"EB…VN"}
    curl -s $V/_control/clock/advance -H "$JSON" -d '{"hours": 48}'
    curl -s "$V/api/v1/getOrderTracking?CustomerCode=HPG_STP&pagesize=20" -H "authorization: Bearer $TOKEN"
"""

from services.clock import SimulatedClock
from services.vnpost.app import create_app
from services.vnpost.journey import TrackingStatus, plan_journey
from services.vnpost.settings import VnpostSettings

__all__ = ["SimulatedClock", "TrackingStatus", "VnpostSettings", "create_app", "plan_journey"]
